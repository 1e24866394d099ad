import { getModel } from "../db/device-models";
import { commitVersion, getVersion, type VersionRow } from "../db/firmware-versions";
import { nowIso } from "../db/time";
import type { Env, Limits } from "../env";
import { AppError, BadRequest } from "../errors";
import type { UploadBody } from "../lib/upload-body";
import { copyObject } from "../storage/copy-object";
import { putImageObject } from "../storage/firmware-objects";
import { bundleKey, imageKey } from "../storage/keys";
import { deleteKeys } from "../storage/objects";
import { getModelOrThrow, modelNotFound } from "./device-models";
import { activateIfNotCurrent, notifyCurrent, pruneVersionsOf } from "./firmware-current";
import { type Candidate, type IntakeHooks, receiveFirmware } from "./firmware-intake";

export interface UploadResult {
	code: string;
	firmware_version: string;
	format: "zip" | "bin";
	sha256: string;
	size: number;
	unchanged: boolean;
	replaced: boolean;
	warnings: string[];
}

export interface UploadHooks extends IntakeHooks {
	defer: (work: Promise<unknown>) => void;
}

/**
 * A firmware upload (SPEC §6): take the body in and validate it as a device would (see
 * firmware-intake.ts), store every object, then commit the version and make it current in one
 * D1 batch. A failure at any step leaves neither a row nor an object behind.
 */
export async function uploadFirmware(
	env: Env,
	limits: Limits,
	modelCode: string,
	upload: UploadBody,
	hooks: UploadHooks,
): Promise<UploadResult> {
	const { defer } = hooks;
	const model = await getModelOrThrow(env.DB, modelCode);
	const candidate = await receiveFirmware(env, limits, modelCode, upload, hooks).catch((err) =>
		modelGoneOr(env.DB, modelCode, err),
	);

	try {
		if (model.chip !== null && model.chip !== candidate.info.chip) {
			throw new BadRequest(
				"CHIP_MISMATCH",
				`The image is built for ${candidate.info.chip} but model '${modelCode}' is ${model.chip}.`,
				{ model_chip: model.chip, image_chip: candidate.info.chip },
			);
		}
		return await store(env, limits, modelCode, candidate, defer).catch((err) =>
			modelGoneOr(env.DB, modelCode, err),
		);
	} finally {
		if (candidate.staged) await deleteKeys(env.BLOBS, [candidate.staged.key]).catch(() => {});
	}
}

/**
 * A server-side failure of an upload whose model was deleted meanwhile (its staged bundle and
 * objects went with it) is that model's 404, not a fault of ours.
 */
async function modelGoneOr(db: D1Database, modelCode: string, err: unknown): Promise<never> {
	if (!(err instanceof AppError && err.status < 500)) {
		const model = await getModel(db, modelCode).catch(() => undefined);
		if (model === null) throw modelNotFound(modelCode);
	}
	throw err;
}

const MAX_COMMIT_ATTEMPTS = 3;

/**
 * Objects first, then the D1 batch that stores the row and makes it current. The batch only
 * applies if the row is still what was read, so two uploads of one version cannot orphan each
 * other's objects: the loser reads the winner's row and decides again.
 */
async function store(
	env: Env,
	limits: Limits,
	modelCode: string,
	candidate: Candidate,
	defer: (work: Promise<unknown>) => void,
): Promise<UploadResult> {
	const { info } = candidate;
	const result = (format: "zip" | "bin", unchanged: boolean, replaced: boolean): UploadResult => ({
		code: modelCode,
		firmware_version: info.version,
		format,
		sha256: info.sha256,
		size: info.size,
		unchanged,
		replaced,
		warnings: candidate.warnings,
	});
	const row = versionRow(modelCode, candidate);
	let written: string[] = [];
	try {
		for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
			const existing = await getVersion(env.DB, modelCode, info.version);
			if (existing?.sha256 === info.sha256) {
				// The same bytes again: what is stored stays; what this upload wrote goes.
				await deleteKeys(env.BLOBS, written);
				written = [];
				if (await activateIfNotCurrent(env.DB, existing)) notifyCurrent(env, existing, defer);
				return result(existing.format, true, false);
			}
			if (written.length === 0) written = await putObjects(env, modelCode, candidate, row);
			const outcome = await commit(env.DB, row, existing?.sha256 ?? null);
			if (outcome.kind === "failed") {
				if (outcome.keepObjects) written = [];
				throw outcome.error;
			}
			if (outcome.kind === "committed") {
				written = [];
				notifyCurrent(env, row, defer);
				if (existing) await removeReplaced(env, existing);
				await pruneVersionsOf(env, modelCode, limits.firmwareKeepVersions);
				return result(candidate.format, false, existing !== null);
			}
		}
		throw new AppError(
			"CONCURRENT_UPLOAD",
			"Other uploads of this version kept winning; try again.",
		);
	} catch (err) {
		await deleteKeys(env.BLOBS, written).catch(() => {});
		if (!(err instanceof AppError) && /FOREIGN KEY/i.test(String(err)))
			throw modelNotFound(modelCode);
		throw err;
	}
}

const isKey = (key: string | null): key is string => key !== null;

type CommitOutcome =
	| { kind: "committed" }
	| { kind: "raced" }
	| { kind: "failed"; error: unknown; keepObjects: boolean };

/**
 * Commits the version row. D1's answer can be lost after the batch was applied, so on an error
 * the row is read back before anything is removed: a row naming this upload's image key means
 * committed. When the row cannot be read, the objects are kept: an unreferenced object is
 * garbage, a version without its image is a lost release.
 */
async function commit(
	db: D1Database,
	row: VersionRow,
	expectedSha256: string | null,
): Promise<CommitOutcome> {
	try {
		return {
			kind: (await commitVersion(db, row, expectedSha256, nowIso())) ? "committed" : "raced",
		};
	} catch (error) {
		const stored = await getVersion(db, row.model_code, row.version).catch(() => undefined);
		if (stored?.image_key === row.image_key) return { kind: "committed" };
		return { kind: "failed", error, keepObjects: stored === undefined };
	}
}

/** The replaced version's objects; D1 no longer knows them, so a failure here only leaks them. */
async function removeReplaced(env: Env, replaced: VersionRow): Promise<void> {
	const keys = [replaced.image_key, replaced.bundle_key].filter(isKey);
	try {
		await deleteKeys(env.BLOBS, keys);
	} catch (err) {
		console.error(
			JSON.stringify({ msg: "replaced firmware objects not removed", keys, error: String(err) }),
		);
	}
}

/** The image on its own (so downloads never inflate), and the bundle as uploaded. */
async function putObjects(env: Env, modelCode: string, candidate: Candidate, row: VersionRow) {
	const written: string[] = [];
	try {
		await putImageObject(env.BLOBS, row.image_key, candidate.image, {
			sha256: candidate.info.sha256,
			modelCode,
			version: row.version,
		});
		written.push(row.image_key);
		if (candidate.staged && row.bundle_key) {
			await copyObject(env.BLOBS, candidate.staged.key, row.bundle_key, candidate.staged.size);
			written.push(row.bundle_key);
		}
		return written;
	} catch (err) {
		await deleteKeys(env.BLOBS, [row.image_key, row.bundle_key].filter(isKey)).catch(() => {});
		throw err;
	}
}

function versionRow(modelCode: string, candidate: Candidate): VersionRow {
	const { info, versionJson } = candidate;
	return {
		model_code: modelCode,
		version: info.version,
		format: candidate.format,
		sha256: info.sha256,
		partition_sha256: info.partitionSha256,
		size: info.size,
		chip: info.chip,
		project_name: info.projectName,
		idf_version: info.idfVersion,
		secure_version: info.secureVersion,
		elf_sha256: info.elfSha256,
		git_commit: versionJson?.gitCommit ?? null,
		version_json: versionJson ? JSON.stringify(versionJson.fields) : null,
		image_key: imageKey(modelCode, info.version, info.sha256, candidate.uploadId),
		bundle_key: candidate.staged
			? bundleKey(modelCode, info.version, info.sha256, candidate.uploadId)
			: null,
		bundle_size: candidate.staged?.size ?? null,
		uploaded_at: nowIso(),
	};
}
