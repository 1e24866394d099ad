import type { ServedVersion } from "../db/firmware-versions";
import type { Env } from "../env";
import { AppError, NotFound } from "../errors";
import { etagFor, ifNoneMatchMatches, ifRangeAllowsRange } from "../lib/http-conditional";
import { contentRange, parseRange, type RangeDecision, unsatisfiedRange } from "../lib/http-range";
import { fillImageCache, matchImage } from "../storage/image-cache";
import { openObject } from "../storage/objects";
import type { BinaryAnswer, ImageConditions } from "./binary-answer";
import { extractImageFromBundle } from "./firmware-fallback";

export interface DownloadOptions {
	/** Content addressed (`/firmware/{sha256}`): cacheable for a year, never changes. */
	immutable: boolean;
	defer: (work: Promise<unknown>) => void;
}

/**
 * Decides how an app image is served per SPEC §6.4: exact Content-Length (never chunked), a
 * strong ETag of the image's SHA-256, 304 for If-None-Match (also for the hash a running device
 * reports), one byte range as 206 with its end clamped, 416 with `bytes *\/total`, If-Range,
 * and HEAD answered from D1 alone. The bytes come from this location's cache when it has them,
 * else stream from R2 (and fill the cache for the next device).
 */
export async function imageAnswer(
	env: Env,
	conditions: ImageConditions,
	row: ServedVersion,
	options: DownloadOptions,
): Promise<BinaryAnswer> {
	const headers = baseHeaders(row, options.immutable);
	const inm = conditions.ifNoneMatch;
	if (
		inm !== null &&
		(ifNoneMatchMatches(inm, etagFor(row.sha256)) ||
			ifNoneMatchMatches(inm, etagFor(row.partition_sha256)))
	) {
		return { status: 304, headers, body: null };
	}
	const range = rangeFor(conditions, row);
	if (range.kind === "unsatisfiable") {
		throw new AppError(
			"RANGE_NOT_SATISFIABLE",
			`The requested range is outside the ${row.size}-byte image.`,
			{ size: row.size },
			{
				"Content-Range": unsatisfiedRange(row.size),
				"Accept-Ranges": "bytes",
				ETag: etagFor(row.sha256),
				"X-Firmware-Version": row.version,
			},
		);
	}
	const status = range.kind === "partial" ? 206 : 200;
	const length = range.kind === "partial" ? range.length : row.size;
	headers["content-length"] = String(length);
	if (range.kind === "partial") {
		headers["content-range"] = contentRange(range.offset, range.end, row.size);
	}
	if (conditions.headersOnly) return { status, headers, body: null };

	const cached = await matchImage(row.sha256, range.kind === "partial" ? range : null, length);
	if (cached) return { status, headers, body: cached };
	const object = await openObject(
		env.BLOBS,
		row.image_key,
		range.kind === "partial" ? { offset: range.offset, length: range.length } : undefined,
	);
	if (object) {
		options.defer(fillImageCache(env.BLOBS, row));
		return { status, headers, body: object.body };
	}

	const image = await extractImageFromBundle(env, row, options.defer);
	if (!image) {
		throw new NotFound("FIRMWARE_NOT_FOUND", "The firmware image is not available.");
	}
	const body = range.kind === "partial" ? image.subarray(range.offset, range.end + 1) : image;
	return { status, headers, body };
}

function rangeFor(conditions: ImageConditions, row: ServedVersion): RangeDecision {
	if (conditions.range === null) return { kind: "full" };
	if (!ifRangeAllowsRange(conditions.ifRange, etagFor(row.sha256))) return { kind: "full" };
	return parseRange(conditions.range, row.size);
}

function baseHeaders(row: ServedVersion, immutable: boolean): Record<string, string> {
	return {
		"content-type": "application/octet-stream",
		"content-disposition": `attachment; filename="firmware-${row.model_code}.bin"`,
		etag: etagFor(row.sha256),
		"x-firmware-version": row.version,
		"accept-ranges": "bytes",
		"cache-control": immutable ? "private, max-age=31536000, immutable" : "private, no-cache",
	};
}
