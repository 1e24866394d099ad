import type { ByteSource } from "../lib/zip/byte-source";

/**
 * Storage failures seen while a dump was analysed. The decoder reads the ELF index through
 * callbacks and may turn any error into a `failed` analysis; the analysis service checks this
 * record afterwards, so a dump whose storage failed is retried instead of being recorded as bad.
 */
export class StorageFaults {
	count = 0;
	first: unknown = null;

	record(err: unknown): void {
		if (this.count === 0) this.first = err;
		this.count++;
	}

	/** Throws the first failure, if any: the caller's work is to be retried. */
	rethrow(): void {
		if (this.count > 0) throw this.first ?? new Error("storage failed during the analysis");
	}
}

/** A ByteSource whose failures (immediate or later, in its streams) are recorded. */
export function recordingSource(source: ByteSource, faults: StorageFaults): ByteSource {
	return {
		size: source.size,
		async read(offset, length) {
			try {
				return await source.read(offset, length);
			} catch (err) {
				faults.record(err);
				throw err;
			}
		},
		async stream(offset, length) {
			let reader: ReadableStreamDefaultReader<Uint8Array>;
			try {
				reader = (await source.stream(offset, length)).getReader();
			} catch (err) {
				faults.record(err);
				throw err;
			}
			return new ReadableStream<Uint8Array>(
				{
					async pull(controller) {
						try {
							const next = await reader.read();
							if (next.done) controller.close();
							else controller.enqueue(next.value);
						} catch (err) {
							faults.record(err);
							controller.error(err);
						}
					},
					cancel: (reason) => reader.cancel(reason),
				},
				{ highWaterMark: 0 },
			);
		},
	};
}
