import type { Env, Limits } from "../env";
import { BadRequest, PayloadTooLarge } from "../errors";
import { type AppImageInfo, parseAppImage } from "../lib/app-image";
import {
	checkDeclaredLength,
	declaredLength,
	emptyBody,
	peek,
	readLimited,
	type UploadBody,
} from "../lib/upload-body";
import type { VersionJson } from "../lib/version-json";
import { newUploadId, stagingKey } from "../storage/keys";
import { deleteKeys } from "../storage/objects";
import { r2ByteSource } from "../storage/r2-byte-source";
import { putStream } from "../storage/stream-put";
import { validateBundle } from "./firmware-bundle";

export interface IntakeHooks {
	/** Told as soon as the body is recognised, so metrics can tell ZIP from bare uploads. */
	onFormat: (format: "zip" | "bin") => void;
	/** Told how many bytes of body were received (the bundle's or the image's size). */
	onReceived: (bytes: number) => void;
}

/** What an upload delivered, before anything about it is in D1. */
export interface Candidate {
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
 * Takes in an upload's body (SPEC §6.1): recognised by its magic bytes, never by Content-Type.
 * A bare image (at most APP_IMAGE_MAX_BYTES) is read and checked in memory; a bundle streams
 * into a staging object and is validated from there. Nothing is in D1 yet; on a refusal nothing
 * is left in R2.
 */
export async function receiveFirmware(
	env: Env,
	limits: Limits,
	modelCode: string,
	upload: UploadBody,
	hooks: IntakeHooks,
): Promise<Candidate> {
	const declared = declaredLength(upload);
	checkDeclaredLength(declared, limits.firmwareMaxBytes, "firmware upload");
	if (!upload.stream) throw emptyBody("firmware upload");
	const { head, body } = await peek(upload.stream, 4);
	if (head.length === 0) throw emptyBody("firmware upload");

	if (head[0] === IMAGE_MAGIC) {
		const limit = Math.min(limits.appImageMaxBytes, limits.firmwareMaxBytes);
		if (declared !== null && declared > limit) throw new PayloadTooLarge(limit, "app image");
		hooks.onFormat("bin");
		const image = await readLimited(body, limit, "app image");
		hooks.onReceived(image.byteLength);
		return {
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
		const candidate = await stageBundle(env, limits, modelCode, body, declared);
		hooks.onReceived(candidate.staged?.size ?? 0);
		return candidate;
	} else {
		await body.cancel().catch(() => {});
		throw new BadRequest(
			"UNKNOWN_FIRMWARE_FORMAT",
			"The body is neither an ESP app image (first byte 0xE9) nor a ZIP bundle (PK\\x03\\x04).",
		);
	}
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
		await deleteKeys(env.BLOBS, [key]).catch(() => {});
		throw err;
	}
}
