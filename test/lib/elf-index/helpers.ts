import type { Symbolizer } from "../../../src/lib/coredump/symbolizer";
import { buildElfIndex, type ElfIndexOptions } from "../../../src/lib/elf-index/build";
import { openElfIndex } from "../../../src/lib/elf-index/read";
import { type ByteSource, memorySource } from "../../../src/lib/zip/byte-source";

/** Builds the index of `elf` and opens it, both from memory. */
export async function symbolizerFor(
	elf: Uint8Array,
	options?: ElfIndexOptions,
): Promise<Symbolizer> {
	return openElfIndex(memorySource(await buildElfIndex(memorySource(elf), options)));
}

/** A ByteSource that records every read, to check how much of a file a reader touched. */
export function countingSource(bytes: Uint8Array): ByteSource & { reads: [number, number][] } {
	const inner = memorySource(bytes);
	const reads: [number, number][] = [];
	return {
		size: inner.size,
		reads,
		read(offset, length) {
			reads.push([offset, length]);
			return inner.read(offset, length);
		},
		stream(offset, length) {
			reads.push([offset, length]);
			return inner.stream(offset, length);
		},
	};
}

/** The error a promise rejected with, or a failure when it resolved. */
export async function refusal(
	promise: Promise<unknown>,
): Promise<{ code: string; status: number }> {
	try {
		await promise;
	} catch (error) {
		return error as { code: string; status: number };
	}
	throw new Error("expected a refusal");
}
