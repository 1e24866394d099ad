import { getModel } from "../db/device-models";
import { commitVersion, getVersion, type VersionRow } from "../db/firmware-versions";
import { nowIso } from "../db/time";
import type { Env, Limits } from "../env";
import { AppError, BadRequest, PayloadTooLarge } from "../errors";
import {
	checkDeclaredLength,
	declaredLength,
	emptyBody,
	peek,
	readLimited,
} from "../http/request-body";
import type { AppImageInfo } from "../lib/app-image";
import { parseAppImage } from "../lib/app-image";
import type { VersionJson } from "../lib/version-json";
import { copyObject } from "../storage/copy-object";
import { bundleKey, imageKey, newUploadId, stagingKey } from "../storage/keys";
import { deleteKeys } from "../storage/objects";
import { r2ByteSource } from "../storage/r2-byte-source";
import { putStream } from "../storage/stream-put";
import { getModelOrThrow, modelNotFound } from "./device-models";
import { validateBundle } from "./firmware-bundle";
import { activateIfNotCurrent, notifyCurrent, pruneVersionsOf } from "./firmware-current";

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

export interface UploadHooks {
	defer: (work: Promise<unknown>) => void;
	/** Told as soon as the body is recognised, so metrics can tell ZIP from bare uploads. */
	onFormat: (format: "zip" | "bin") => void;
	/** Told how many bytes of body were received (the bundle's or the image's size). */
	onReceived: (bytes: number) => void;
}

/** What an upload delivered, before anything about it is in D1. */
interface Candidate {
	format: "zip" | "bin";
	image: Uint8Array;
	info: AppImageInfo;
	versionJson: VersionJson | null;
	warnings: string[];
	/** Names this upload's objects (and its staging object). */
	uploadId: string;
	/** Where the bundle waits while it is validated (zip uploads only). */
	staged: { key: string; size: number } | null;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const IMAGE_MAGIC = 0xe9;

/**
 * A firmware upload (SPEC §6): recognise the body by its magic bytes, validate it as a device
 * would, store every object, then commit the version and make it current in one D1 batch.
 * A failure at any step leaves neither a row nor an object behind.
 */
export async function uploadFirmware(
	env: Env,
	limits: Limits,
	modelCode: string,
	request: Request,
	hooks: UploadHooks,
): Promise<UploadResult> {
	const { defer } = hooks;
	const model = await getModelOrThrow(env.DB, modelCode);
	const declared = declaredLength(request);
	checkDeclaredLength(declared, limits.firmwareMaxBytes, "firmware upload");
	if (!request.body) throw emptyBody("firmware upload");
	const { head, body } = await peek(request.body, 4);
	if (head.length === 0) throw emptyBody("firmware upload");

	let candidate: Candidate;
	if (head[0] === IMAGE_MAGIC) {
		const limit = Math.min(limits.appImageMaxBytes, limits.firmwareMaxBytes);
		if (declared !== null && declared > limit) throw new PayloadTooLarge(limit, "app image");
		hooks.onFormat("bin");
		const image = await readLimited(body, limit, "app image");
		hooks.onReceived(image.byteLength);
		candidate = {
			format: "bin",
			image,
			info: await parseAppImage(image),
			versionJson: null,
			warnings: [],
			uploadId: newUploadId(),
			staged: null,
		};
	} else if (ZIP_MAGIC.every((byte, i) => head[i] === byte)) {
		hooks.onFormat("zip");
		candidate = await stageBundle(env, limits, modelCode, body, declared).catch((err) =>
			modelGoneOr(env.DB, modelCode, err),
		);
		hooks.onReceived(candidate.staged?.size ?? 0);
	} else {
		await body.cancel().catch(() => {});
		throw new BadRequest(
			"UNKNOWN_FIRMWARE_FORMAT",
			"The body is neither an ESP app image (first byte 0xE9) nor a ZIP bundle (PK\\x03\\x04).",
		);
	}

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
		if (candidate.staged) await env.BLOBS.delete(candidate.staged.key).catch(() => {});
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

async function stageBundle(
	env: Env,
	limits: Limits,
	modelCode: string,
	body: ReadableStream<Uint8Array>,
	declared: number | null,
): Promise<Candidate> {
	const uploadId = newUploadId();
	const key = stagingKey(modelCode, uploadId);
	const size = await putStream(
		env.BLOBS,
		key,
		body,
		declared,
		limits.firmwareMaxBytes,
		"firmware bundle",
		{
			httpMetadata: { contentType: "application/zip" },
		},
	);
	try {
		const bundle = await validateBundle(
			r2ByteSource(env.BLOBS, key, size),
			modelCode,
			limits.appImageMaxBytes,
		);
		return { format: "zip", ...bundle, uploadId, staged: { key, size } };
	} catch (err) {
		await env.BLOBS.delete(key).catch(() => {});
		throw err;
	}
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
			409,
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
		await env.BLOBS.put(row.image_key, candidate.image, {
			sha256: candidate.info.sha256,
			httpMetadata: { contentType: "application/octet-stream" },
			customMetadata: { model_code: modelCode, version: row.version },
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
