import type { ServedVersion } from "../db/firmware-versions";

/**
 * App images in the Cloudflare location's cache (`caches.default`), keyed by content hash, so
 * a fleet's downloads are served from the location that devices reach instead of from the R2
 * bucket's region. Entries are immutable (a hash names exactly one byte sequence), and every
 * request is authorized against D1 before the cache is asked, so a deleted version is never
 * served. Workers on a workers.dev host have no usable cache: there every lookup misses and
 * R2 serves, as it would without this layer.
 */
const KEY_ORIGIN = "https://image-cache.ota-edge.invalid/";
/** How long an isolate waits before trying again to fill the cache with one image. */
const FILL_RETRY_MS = 10 * 60_000;
const fillAttempts = new Map<string, number>();

export const imageCacheKey = (sha256: string): string => `${KEY_ORIGIN}${sha256}`;

function cacheOf(): Cache | null {
	return typeof caches === "undefined" ? null : caches.default;
}

/**
 * The cached image, whole or one range (`offset`..`end` inclusive, already clamped); null on a
 * miss or when the cached answer is not exactly what was asked for.
 */
export async function matchImage(
	sha256: string,
	range: { offset: number; end: number } | null,
	length: number,
): Promise<ReadableStream | null> {
	const cache = cacheOf();
	if (!cache) return null;
	const headers = range ? { range: `bytes=${range.offset}-${range.end}` } : undefined;
	const hit = await cache.match(new Request(imageCacheKey(sha256), { headers }));
	if (!hit?.body) return null;
	if (hit.status !== (range ? 206 : 200) || hit.headers.get("content-length") !== String(length)) {
		await hit.body.cancel();
		return null;
	}
	return hit.body;
}

/**
 * Copies the image from R2 into the cache, at most once per isolate every ten minutes per
 * image (where the cache stores nothing, this bounds the extra reads). Run it deferred.
 */
export async function fillImageCache(bucket: R2Bucket, row: ServedVersion): Promise<void> {
	const cache = cacheOf();
	const last = fillAttempts.get(row.sha256);
	if (!cache || (last !== undefined && Date.now() - last < FILL_RETRY_MS)) return;
	fillAttempts.set(row.sha256, Date.now());
	if (fillAttempts.size > 1000) fillAttempts.delete(fillAttempts.keys().next().value as string);
	const object = await bucket.get(row.image_key);
	if (!object) return;
	await cache.put(
		imageCacheKey(row.sha256),
		new Response(object.body, {
			headers: {
				"content-length": String(object.size),
				"content-type": "application/octet-stream",
				etag: `"${row.sha256}"`,
				"cache-control": "public, max-age=31536000, immutable",
			},
		}),
	);
}

/** Forgets fill attempts (tests that start over with an empty cache). */
export function resetImageCacheFills(): void {
	fillAttempts.clear();
}
