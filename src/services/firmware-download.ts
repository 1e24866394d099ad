import type { ServedVersion } from "../db/firmware-versions";
import type { Env } from "../env";
import { AppError, NotFound } from "../errors";
import { etagFor, ifNoneMatchMatches, ifRangeAllowsRange } from "../lib/http-conditional";
import { contentRange, parseRange, type RangeDecision, unsatisfiedRange } from "../lib/http-range";
import { fillImageCache, matchImage } from "../storage/image-cache";
import { extractImageFromBundle } from "./firmware-fallback";

export interface DownloadOptions {
	/** Content addressed (`/firmware/{sha256}`): cacheable for a year, never changes. */
	immutable: boolean;
	defer: (work: Promise<unknown>) => void;
	/** Bytes of body sent, for the request's metrics. */
	onBytes: (bytes: number) => void;
}

/**
 * Serves an app image per SPEC §6.4: exact Content-Length (never chunked), a strong ETag of the
 * image's SHA-256, 304 for If-None-Match (also for the hash a running device reports), one
 * byte range as 206 with its end clamped, 416 with `bytes *\/total`, If-Range, and HEAD answered
 * from D1 alone. The bytes come from this location's cache when it has them, else stream from
 * R2 straight into the response (and fill the cache for the next device).
 */
export async function serveImage(
	env: Env,
	request: Request,
	row: ServedVersion,
	options: DownloadOptions,
): Promise<Response> {
	const headers = baseHeaders(row, options.immutable);
	const inm = request.headers.get("if-none-match");
	if (
		inm !== null &&
		(ifNoneMatchMatches(inm, etagFor(row.sha256)) ||
			ifNoneMatchMatches(inm, etagFor(row.partition_sha256)))
	) {
		return new Response(null, { status: 304, headers });
	}
	const range = rangeFor(request, row);
	if (range.kind === "unsatisfiable") {
		throw new AppError(
			416,
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
	headers.set("content-length", String(length));
	if (range.kind === "partial") {
		headers.set("content-range", contentRange(range.offset, range.end, row.size));
	}
	if (request.method === "HEAD") return new Response(null, { status, headers });

	const cached = await matchImage(row.sha256, range.kind === "partial" ? range : null, length);
	if (cached) {
		options.onBytes(length);
		return new Response(cached, { status, headers });
	}
	const object = await env.BLOBS.get(
		row.image_key,
		range.kind === "partial" ? { range: { offset: range.offset, length: range.length } } : {},
	);
	if (object) {
		options.onBytes(length);
		options.defer(fillImageCache(env.BLOBS, row));
		return new Response(object.body, { status, headers });
	}

	const image = await extractImageFromBundle(env, row, options.defer);
	if (!image) {
		throw new NotFound("FIRMWARE_NOT_FOUND", "The firmware image is not available.");
	}
	const body = range.kind === "partial" ? image.subarray(range.offset, range.end + 1) : image;
	options.onBytes(body.byteLength);
	return new Response(body, { status, headers });
}

function rangeFor(request: Request, row: ServedVersion): RangeDecision {
	const header = request.headers.get("range");
	if (header === null) return { kind: "full" };
	if (!ifRangeAllowsRange(request.headers.get("if-range"), etagFor(row.sha256))) {
		return { kind: "full" };
	}
	return parseRange(header, row.size);
}

function baseHeaders(row: ServedVersion, immutable: boolean): Headers {
	return new Headers({
		"content-type": "application/octet-stream",
		"content-disposition": `attachment; filename="firmware-${row.model_code}.bin"`,
		etag: etagFor(row.sha256),
		"x-firmware-version": row.version,
		"accept-ranges": "bytes",
		"cache-control": immutable ? "private, max-age=31536000, immutable" : "private, no-cache",
	});
}
