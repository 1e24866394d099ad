/**
 * Random access to the bytes of an archive, wherever they are kept: a buffer in tests and for
 * small archives, a staged R2 object for uploaded bundles. The ZIP reader asks only for the
 * ranges it needs, so a bundle is never held whole in memory.
 */
export interface ByteSource {
	/** Total length in bytes. */
	readonly size: number;
	/** Exactly `length` bytes from `offset`; the range must lie inside the source. */
	read(offset: number, length: number): Promise<Uint8Array>;
	/** The same range as a stream, for ranges too large to hold at once. */
	stream(offset: number, length: number): Promise<ReadableStream<Uint8Array>>;
}

/** Chunk size of `memorySource` streams: about what an R2 body delivers at a time. */
const STREAM_CHUNK_BYTES = 64 * 1024;

/** Throws when a range is not inside a source of `size` bytes (a bug in the caller, not input). */
export function assertRange(size: number, offset: number, length: number): void {
	const valid =
		Number.isSafeInteger(offset) &&
		Number.isSafeInteger(length) &&
		offset >= 0 &&
		length >= 0 &&
		offset + length <= size;
	if (!valid) {
		throw new RangeError(`Range ${offset}+${length} is outside a source of ${size} bytes.`);
	}
}

/** A source over bytes already in memory. Reads return views, not copies: do not modify them. */
export function memorySource(bytes: Uint8Array): ByteSource {
	return {
		size: bytes.length,
		async read(offset, length) {
			assertRange(bytes.length, offset, length);
			return bytes.subarray(offset, offset + length);
		},
		async stream(offset, length) {
			assertRange(bytes.length, offset, length);
			let position = offset;
			const end = offset + length;
			return new ReadableStream<Uint8Array>(
				{
					pull(controller) {
						if (position >= end) {
							controller.close();
							return;
						}
						const next = Math.min(end, position + STREAM_CHUNK_BYTES);
						controller.enqueue(bytes.subarray(position, next));
						position = next;
					},
				},
				{ highWaterMark: 0 },
			);
		},
	};
}
