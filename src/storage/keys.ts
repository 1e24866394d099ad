import { isDeviceKey, isFirmwareVersion, isModelCode, isSha256Hex } from "../lib/identifiers";

/**
 * The one place R2 keys are built. Every part is checked against its identifier rule, so no
 * request value can reach a key unvalidated (a failure here is a bug, not a client error).
 *
 *   firmware/<model>/<version>/<image sha256>.bin   the app image, served to devices
 *   firmware/<model>/<version>/<image sha256>.zip   the bundle, as uploaded
 *   staging/<model>/<upload id>.zip                 a bundle while it is being validated
 *   coredumps/<model>/<device>/<file name>          a core dump with its metadata
 *
 * The image hash in the name makes a replaced version's new bytes a new object, so a download
 * in flight keeps reading the bytes it started with. Staging has a top-level prefix of its own
 * so one R2 lifecycle rule can expire what an interrupted upload left there.
 */

function check(ok: boolean, what: string, value: string): void {
	if (!ok) throw new Error(`refusing to build a storage key from an invalid ${what}: ${value}`);
}

export function modelFirmwarePrefix(model: string): string {
	check(isModelCode(model), "model code", model);
	return `firmware/${model}/`;
}

export function versionPrefix(model: string, version: string): string {
	check(isFirmwareVersion(version), "firmware version", version);
	return `${modelFirmwarePrefix(model)}${version}/`;
}

export function imageKey(model: string, version: string, sha256: string): string {
	check(isSha256Hex(sha256), "sha256", sha256);
	return `${versionPrefix(model, version)}${sha256}.bin`;
}

export function bundleKey(model: string, version: string, sha256: string): string {
	check(isSha256Hex(sha256), "sha256", sha256);
	return `${versionPrefix(model, version)}${sha256}.zip`;
}

const UPLOAD_ID = /^[0-9a-f-]{36}$/;

export function modelStagingPrefix(model: string): string {
	check(isModelCode(model), "model code", model);
	return `staging/${model}/`;
}

export function stagingKey(model: string, uploadId: string): string {
	check(UPLOAD_ID.test(uploadId), "upload id", uploadId);
	return `${modelStagingPrefix(model)}${uploadId}.zip`;
}

export function modelCoredumpPrefix(model: string): string {
	check(isModelCode(model), "model code", model);
	return `coredumps/${model}/`;
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
