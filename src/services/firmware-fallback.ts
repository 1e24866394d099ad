import type { ServedVersion } from "../db/firmware-versions";
import type { Env } from "../env";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/hex";
import { readCentralDirectory } from "../lib/zip/central-directory";
import { readEntry } from "../lib/zip/entry-stream";
import { recordDataPoint } from "../metrics";
import { putImageObject } from "../storage/firmware-objects";
import { objectSize } from "../storage/objects";
import { r2ByteSource } from "../storage/r2-byte-source";

/**
 * When a version's image object is missing but its bundle is there, the image is taken out of
 * the bundle, checked against the stored SHA-256, served, and stored again so the next
 * download streams it directly. Each use is counted (`firmware_zip_extract_fallback`).
 */
export async function extractImageFromBundle(
	env: Env,
	row: ServedVersion,
	defer: (work: Promise<unknown>) => void,
): Promise<Uint8Array<ArrayBuffer> | null> {
	const started = Date.now();
	const point = (status: string, bytes = 0) =>
		recordDataPoint(env, {
			operation: "firmware_zip_extract_fallback",
			status,
			model: row.model_code,
			durationMs: Date.now() - started,
			bytes,
		});
	if (!row.bundle_key) {
		logMissing(row, "no bundle");
		point("IMAGE_MISSING");
		return null;
	}
	const bundleSize = await objectSize(env.BLOBS, row.bundle_key);
	if (bundleSize === null) {
		logMissing(row, "bundle missing too");
		point("BUNDLE_MISSING");
		return null;
	}
	const image = await imageInBundle(env, row.bundle_key, bundleSize, row);
	if (!image || (await sha256Hex(image)) !== row.sha256) {
		logMissing(row, "bundle does not hold the image");
		point("BUNDLE_MISMATCH");
		return null;
	}
	defer(
		putImageObject(env.BLOBS, row.image_key, image, {
			sha256: row.sha256,
			modelCode: row.model_code,
			version: row.version,
		}),
	);
	point("ok", image.byteLength);
	return image;
}

/** The bundle's app image; null when the stored bundle no longer reads as one. */
async function imageInBundle(env: Env, key: string, size: number, row: ServedVersion) {
	try {
		const source = r2ByteSource(env.BLOBS, key, size);
		const entries = await readCentralDirectory(source, { maxEntries: 64 });
		const entry = entries.find((e) => e.name === `${row.model_code}.bin`);
		return entry ? await readEntry(source, entry, row.size) : null;
	} catch (err) {
		if (err instanceof AppError) return null;
		throw err;
	}
}

function logMissing(row: ServedVersion, why: string): void {
	console.error(
		JSON.stringify({
			msg: "firmware image object missing",
			why,
			model: row.model_code,
			version: row.version,
		}),
	);
}
