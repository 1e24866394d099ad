import { AppError } from "../errors";
import type { ByteSource } from "../lib/zip/byte-source";
import { r2ByteSource } from "./r2-byte-source";

/**
 * The ELF of each bundle and the index built from it (SPEC §10). An ELF reaches 256 MiB: it is
 * streamed in (a FixedLengthStream of its inflated size, as R2 needs a known length) and read
 * back by ranges, never held whole.
 */

/**
 * Streams `body` (exactly `size` bytes) into `key`. When the body fails (a damaged ZIP entry),
 * its error is thrown, not the put's; on any failure nothing is left under `key`.
 */
export async function putElf(
	bucket: R2Bucket,
	key: string,
	body: ReadableStream<Uint8Array>,
	size: number,
): Promise<void> {
	const fixed = new FixedLengthStream(size);
	const piping = body.pipeTo(fixed.writable).then(
		() => null,
		(err: unknown) => err ?? new Error("the ELF stream failed"),
	);
	try {
		await bucket.put(key, fixed.readable, {
			httpMetadata: { contentType: "application/x-elf" },
		});
	} catch (err) {
		const bodyError = await piping;
		await bucket.delete(key).catch(() => {});
		throw bodyError instanceof AppError ? bodyError : err;
	}
	const bodyError = await piping;
	if (bodyError !== null) {
		await bucket.delete(key).catch(() => {});
		throw bodyError;
	}
}

/** The stored ELF, read by ranges. */
export function elfSource(bucket: R2Bucket, key: string, size: number): ByteSource {
	return r2ByteSource(bucket, key, size);
}

/** The stored ELF as one stream (for the crash bundle); null when it is gone. */
export async function openElf(
	bucket: R2Bucket,
	key: string,
): Promise<{ body: ReadableStream<Uint8Array>; size: number } | null> {
	const object = await bucket.get(key);
	return object ? { body: object.body as ReadableStream<Uint8Array>, size: object.size } : null;
}

/** The size of a stored index, or null when there is none. */
export async function indexSize(bucket: R2Bucket, key: string): Promise<number | null> {
	return (await bucket.head(key))?.size ?? null;
}

export async function readIndex(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
	const object = await bucket.get(key);
	return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

export function indexSource(bucket: R2Bucket, key: string, size: number): ByteSource {
	return r2ByteSource(bucket, key, size);
}

export async function putIndex(bucket: R2Bucket, key: string, bytes: Uint8Array): Promise<void> {
	await bucket.put(key, bytes, {
		httpMetadata: { contentType: "application/octet-stream" },
	});
}
