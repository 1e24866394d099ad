import { getModel } from "../db/device-models";
import { attachBundle } from "../db/firmware-elfs";
import { commitVersion, getVersion, type VersionRow } from "../db/firmware-versions";
import { getOpenRollout } from "../db/rollouts";
import { nowIso } from "../db/time";
import type { Env, Limits } from "../env";
import { AppError, BadRequest } from "../errors";
import type { UploadBody } from "../lib/upload-body";
import { copyObject } from "../storage/copy-object";
import { putImageObject } from "../storage/firmware-objects";
import { bundleKey, imageKey } from "../storage/keys";
import { deleteKeys } from "../storage/objects";
import { reanalyzeForElf } from "./analysis-requests";
import { getModelOrThrow, modelNotFound } from "./device-models";
import { activateIfNotCurrent, notifyCurrent, pruneVersionsOf } from "./firmware-current";
import { type Candidate, type IntakeHooks, receiveFirmware } from "./firmware-intake";
import { rolloutInProgress, versionInRollout } from "./rollouts";
import { removeVersionObjects } from "./version-objects";

export interface UploadResult {
	code: string;
	firmware_version: string;
	format: "zip" | "bin";
	sha256: string;
	size: number;
	unchanged: boolean;
	replaced: boolean;
	/** A bundle attached to the bare image of the same version (SPEC §10). */
	attached: boolean;
	warnings: string[];
}

export interface UploadHooks extends IntakeHooks {
	defer: (work: Promise<unknown>) => void;
	/** false (`?activate=false`): store the version without making it current. */
	activate?: boolean;
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
	const activate = hooks.activate ?? true;
	const model = await getModelOrThrow(env.DB, modelCode);
	// While a rollout holds the model, an upload that would make its version current is
	// refused before its body is read (staging with ?activate=false is fine).
	const open = activate ? await getOpenRollout(env.DB, modelCode) : null;
	if (open) throw rolloutInProgress(modelCode, open);
	const candidate = await receiveFirmware(env, limits, modelCode, upload, hooks).catch((err) =>
		modelGoneOr(env.DB, modelCode, err),
	);

	try {
		if (model.chip !== null && model.chip !== candidate.info.chip) {
			if (candidate.elf) await deleteKeys(env.BLOBS, [candidate.elf.key]).catch(() => {});
			throw new BadRequest(
				"CHIP_MISMATCH",
				`The image is built for ${candidate.info.chip} but model '${modelCode}' is ${model.chip}.`,
				{ model_chip: model.chip, image_chip: candidate.info.chip },
			);
		}
		return await store(env, limits, modelCode, candidate, defer, activate).catch((err) =>
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
 * other's objects: the loser reads the winner's row and decides again. A bundle's ELF is
 * already stored (it was kept while the bundle was validated); every path that does not
 * commit it removes it.
 */
async function store(
	env: Env,
	limits: Limits,
	modelCode: string,
	candidate: Candidate,
	defer: (work: Promise<unknown>) => void,
	activate: boolean,
): Promise<UploadResult> {
	const { info } = candidate;
	const result = (
		format: "zip" | "bin",
		outcome: { unchanged?: boolean; replaced?: boolean; attached?: boolean },
	): UploadResult => ({
		code: modelCode,
		firmware_version: info.version,
		format,
		sha256: info.sha256,
		size: info.size,
		unchanged: outcome.unchanged ?? false,
		replaced: outcome.replaced ?? false,
		attached: outcome.attached ?? false,
		warnings: candidate.warnings,
	});
	const row = versionRow(modelCode, candidate);
	let written: string[] = candidate.elf ? [candidate.elf.key] : [];
	let objectsPut = false;
	try {
		for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
			const existing = await getVersion(env.DB, modelCode, info.version);
			await refuseWhileRolloutNeedsIt(env.DB, modelCode, info, existing, activate);
			if (existing?.sha256 === info.sha256 && existing.format === "bin" && candidate.staged) {
				// The bundle of a version uploaded bare: attach it, change nothing else.
				const outcome = await attach(env, existing, candidate, row);
				if (outcome.kind === "failed") {
					if (outcome.keepObjects) written = [];
					throw outcome.error;
				}
				if (outcome.kind === "raced") continue;
				written = [];
				defer(reanalyzeForElf(env, row));
				return result("zip", { attached: true });
			}
			if (existing?.sha256 === info.sha256) {
				// The same bytes again: what is stored stays; what this upload wrote goes.
				await deleteKeys(env.BLOBS, written);
				written = [];
				if (activate && (await activateIfNotCurrent(env.DB, existing))) {
					notifyCurrent(env, existing, defer);
				}
				return result(existing.format, { unchanged: true });
			}
			if (!objectsPut) {
				written.push(...(await putObjects(env, modelCode, candidate, row)));
				objectsPut = true;
			}
			const wasCurrent =
				!activate &&
				existing !== null &&
				(await getModel(env.DB, modelCode))?.firmware_version === info.version;
			const outcome = await commit(env.DB, row, existing?.sha256 ?? null, activate);
			if (outcome.kind === "failed") {
				if (outcome.keepObjects) written = [];
				throw outcome.error;
			}
			if (outcome.kind === "committed") {
				written = [];
				// A staged version tells no one, unless it replaced the bytes of the current one.
				if (activate || wasCurrent) notifyCurrent(env, row, defer);
				if (row.elf_key) defer(reanalyzeForElf(env, row));
				if (existing) await removeReplaced(env, existing, outcome.droppedIndexKeys ?? []);
				await pruneVersionsOf(env, modelCode, limits.firmwareKeepVersions);
				return result(candidate.format, { replaced: existing !== null });
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

/**
 * Copies the staged bundle to this upload's key and records it (and the ELF) on the bare
 * version: "raced" when the version changed meanwhile (the copy is removed again). D1's answer
 * can be lost after the update applied: the row is read back, and when it cannot be read the
 * objects are kept (an unreferenced object is garbage, a lost ELF is a crash nobody can read).
 */
async function attach(
	env: Env,
	existing: VersionRow,
	candidate: Candidate,
	row: VersionRow,
): Promise<CommitOutcome> {
	const { staged, elf } = candidate;
	if (!staged || !elf || !row.bundle_key) return { kind: "raced" };
	const bundle = row.bundle_key;
	await copyObject(env.BLOBS, staged.key, bundle, staged.size);
	try {
		const attached = await attachBundle(env.DB, row.model_code, row.version, existing.sha256, {
			bundle_key: bundle,
			bundle_size: staged.size,
			elf_key: elf.key,
			elf_size: elf.size,
			git_commit: row.git_commit,
			version_json: row.version_json,
		});
		if (attached) return { kind: "committed" };
		await deleteKeys(env.BLOBS, [bundle]);
		return { kind: "raced" };
	} catch (error) {
		const now = await getVersion(env.DB, row.model_code, row.version).catch(() => undefined);
		if (now?.bundle_key === bundle) return { kind: "committed" };
		if (now !== undefined) await deleteKeys(env.BLOBS, [bundle]).catch(() => {});
		return { kind: "failed", error, keepObjects: now === undefined };
	}
}

const isKey = (key: string | null): key is string => key !== null;

/**
 * While a rollout is open: an upload that would change the current version is refused (409
 * ROLLOUT_IN_PROGRESS) unless it is the current version's own bytes again, and a staged upload
 * may not replace the bytes of the rollout's target or baseline (409 VERSION_IN_ROLLOUT).
 * Checked on every attempt, so a rollout that opened during the upload is seen; the commit's
 * own statement holds the same rule, whatever races.
 */
async function refuseWhileRolloutNeedsIt(
	db: D1Database,
	modelCode: string,
	info: { version: string; sha256: string },
	existing: VersionRow | null,
	activate: boolean,
): Promise<void> {
	const open = await getOpenRollout(db, modelCode);
	if (!open) return;
	const sameBytes = existing?.sha256 === info.sha256;
	if (activate && !(sameBytes && info.version === open.baseline_version)) {
		throw rolloutInProgress(modelCode, open);
	}
	const used = info.version === open.version || info.version === open.baseline_version;
	if (!activate && existing && !sameBytes && used) throw versionInRollout(modelCode, info.version);
}

type CommitOutcome =
	| { kind: "committed"; droppedIndexKeys?: string[] }
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
	activate: boolean,
): Promise<CommitOutcome> {
	try {
		const { committed, droppedIndexKeys } = await commitVersion(
			db,
			row,
			expectedSha256,
			nowIso(),
			activate,
		);
		return committed ? { kind: "committed", droppedIndexKeys } : { kind: "raced" };
	} catch (error) {
		const stored = await getVersion(db, row.model_code, row.version).catch(() => undefined);
		if (stored?.image_key === row.image_key) return { kind: "committed" };
		return { kind: "failed", error, keepObjects: stored === undefined };
	}
}

/** The replaced version's objects; D1 no longer knows them, so a failure here only leaks them. */
async function removeReplaced(
	env: Env,
	replaced: VersionRow,
	droppedIndexKeys: string[],
): Promise<void> {
	try {
		await removeVersionObjects(env, { rows: [replaced], droppedIndexKeys });
	} catch (err) {
		console.error(
			JSON.stringify({
				msg: "replaced firmware objects not removed",
				version: replaced.version,
				error: String(err),
			}),
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
		elf_key: candidate.elf?.key ?? null,
		elf_size: candidate.elf?.size ?? null,
	};
}
