import { isDeviceKey, isFirmwareVersion, isModelCode, isSha256Hex } from "../lib/identifiers";

/**
 * The one place R2 keys are built. Every part is checked against its identifier rule, so no
 * request value can reach a key unvalidated (a failure here is a bug, not a client error).
 *
 *   firmware/<model>/<version>/<image sha256>-<upload id>.bin   the app image, served to devices
 *   firmware/<model>/<version>/<image sha256>-<upload id>.zip   the bundle, as uploaded
 *   firmware/<model>/<version>/<image sha256>-<upload id>.elf   the bundle's ELF, for crash analysis
 *   staging/<model>/<upload id>.zip                             a bundle being validated
 *   coredumps/<model>/<device>/<file name>                      a core dump with its metadata
 *   coredumps/<model>/<device>/<file name>.analysis.json        its analysis, when too large for D1
 *   elf-indexes/<model>/<elf sha256>.idx                        what decoding needs of an ELF
 *
 * Every upload writes objects of its own (the upload id), so no request can ever delete or
 * overwrite objects another request's D1 row points to: the same bytes sent again while their
 * old objects are being removed get new keys. A replaced version's new bytes are new objects,
 * so a download in flight keeps reading the bytes it started with. Staging has a top-level
 * prefix of its own so one R2 lifecycle rule can expire what an interrupted upload left there.
 */

function check(ok: boolean, what: string, value: string): void {
	if (!ok) throw new Error(`refusing to build a storage key from an invalid ${what}: ${value}`);
}

/** The top-level prefixes, one per kind of object. */
export const FIRMWARE_ROOT = "firmware/";
export const STAGING_ROOT = "staging/";
export const COREDUMP_ROOT = "coredumps/";

/** The upload id a firmware or staging object's key names; null for any other key. */
export function uploadIdOf(key: string): string | null {
	const m =
		/^(?:firmware\/[^/]+\/[^/]+\/[0-9a-f]{64}-([0-9a-f]{16})\.(?:bin|zip)|staging\/[^/]+\/([0-9a-f]{16})\.zip)$/.exec(
			key,
		);
	return m ? (m[1] ?? m[2] ?? null) : null;
}

export function modelFirmwarePrefix(model: string): string {
	check(isModelCode(model), "model code", model);
	return `${FIRMWARE_ROOT}${model}/`;
}

export function versionPrefix(model: string, version: string): string {
	check(isFirmwareVersion(version), "firmware version", version);
	return `${modelFirmwarePrefix(model)}${version}/`;
}

const UPLOAD_ID = /^[0-9a-f]{16}$/;

/** 64 random bits naming one upload's objects. */
export function newUploadId(): string {
	let id = "";
	for (const byte of crypto.getRandomValues(new Uint8Array(8))) {
		id += byte.toString(16).padStart(2, "0");
	}
	return id;
}

function uploadObject(model: string, version: string, sha256: string, uploadId: string): string {
	check(isSha256Hex(sha256), "sha256", sha256);
	check(UPLOAD_ID.test(uploadId), "upload id", uploadId);
	return `${versionPrefix(model, version)}${sha256}-${uploadId}`;
}

export function imageKey(model: string, version: string, sha256: string, uploadId: string) {
	return `${uploadObject(model, version, sha256, uploadId)}.bin`;
}

export function bundleKey(model: string, version: string, sha256: string, uploadId: string) {
	return `${uploadObject(model, version, sha256, uploadId)}.zip`;
}

export function elfKey(model: string, version: string, sha256: string, uploadId: string) {
	return `${uploadObject(model, version, sha256, uploadId)}.elf`;
}

export function modelStagingPrefix(model: string): string {
	check(isModelCode(model), "model code", model);
	return `${STAGING_ROOT}${model}/`;
}

export function stagingKey(model: string, uploadId: string): string {
	check(UPLOAD_ID.test(uploadId), "upload id", uploadId);
	return `${modelStagingPrefix(model)}${uploadId}.zip`;
}

export function modelCoredumpPrefix(model: string): string {
	check(isModelCode(model), "model code", model);
	return `${COREDUMP_ROOT}${model}/`;
}

export function deviceCoredumpPrefix(model: string, device: string): string {
	check(isDeviceKey(device), "device key", device);
	return `${modelCoredumpPrefix(model)}${device}/`;
}

const COREDUMP_FILENAME = /^coredump_\d{8}T\d{6}_[0-9a-z]+Z\.dmp$/;

export function coredumpKey(model: string, device: string, filename: string): string {
	check(COREDUMP_FILENAME.test(filename), "core dump file name", filename);
	return `${deviceCoredumpPrefix(model, device)}${filename}`;
}

export function coredumpAnalysisKey(model: string, device: string, filename: string): string {
	return `${coredumpKey(model, device, filename)}.analysis.json`;
}

/**
 * ELF indexes are named by the ELF's content, once per model: versions that share an ELF share
 * its index, and the index goes when the last version with that ELF goes (or the model).
 */
export function modelElfIndexPrefix(model: string): string {
	check(isModelCode(model), "model code", model);
	return `elf-indexes/${model}/`;
}

export function elfIndexKey(model: string, elfSha256: string): string {
	check(isSha256Hex(elfSha256), "ELF sha256", elfSha256);
	return `${modelElfIndexPrefix(model)}${elfSha256}.idx`;
}
