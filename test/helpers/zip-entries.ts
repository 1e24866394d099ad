import { expect } from "vitest";
import { AppError } from "../../src/errors";
import { type ByteSource, memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory, type ZipEntry } from "../../src/lib/zip/central-directory";
import { type RawEntry, writeZip } from "../fixtures/zip";

/** Helpers of the ZIP entry tests: refusals, whole streams, metered sources. */

export async function refusal(promise: Promise<unknown>): Promise<AppError> {
	const error = await promise.then(
		() => new Error("expected a refusal"),
		(e: unknown) => e,
	);
	if (!(error instanceof AppError)) throw error;
	return error;
}

/** Reads a whole stream; on error, reports how many bytes came out before it. */
export async function collect(stream: ReadableStream<Uint8Array>) {
	const chunks: Uint8Array[] = [];
	let received = 0;
	const reader = stream.getReader();
	try {
		for (let next = await reader.read(); !next.done; next = await reader.read()) {
			chunks.push(next.value);
			received += next.value.length;
		}
	} catch (error) {
		return { error, received, bytes: null };
	}
	const bytes = new Uint8Array(received);
	let at = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, at);
		at += chunk.length;
	}
	return { error: null, received, bytes };
}

/** A source that counts how many bytes its streams have handed out. */
export function metered(bytes: Uint8Array) {
	const inner = memorySource(bytes);
	const meter = { streamed: 0, cancelled: false };
	const source: ByteSource = {
		size: inner.size,
		read: (offset, length) => inner.read(offset, length),
		async stream(offset, length) {
			const reader = (await inner.stream(offset, length)).getReader();
			return new ReadableStream<Uint8Array>({
				async pull(controller) {
					const next = await reader.read();
					if (next.done) return controller.close();
					meter.streamed += next.value.length;
					controller.enqueue(next.value);
				},
				cancel() {
					meter.cancelled = true;
				},
			});
		},
	};
	return { source, meter };
}

export async function only(entry: RawEntry) {
	const source = memorySource(writeZip({ entries: [entry] }).bytes);
	const [read] = await readCentralDirectory(source, { maxEntries: 64 });
	return { source, entry: read as ZipEntry };
}

export const read = (bytes: Uint8Array, maxEntries = 64) =>
	readCentralDirectory(memorySource(bytes), { maxEntries });

export async function expectRefused(bytes: Uint8Array, code: string, status = 400) {
	const error = await refusal(read(bytes));
	expect(error.code).toBe(code);
	expect(error.status).toBe(status);
	return error;
}

/** Counts the reads made of a source. */
export function counted(source: ByteSource) {
	const calls: [number, number][] = [];
	return {
		calls,
		source: {
			size: source.size,
			read: (offset: number, length: number) => {
				calls.push([offset, length]);
				return source.read(offset, length);
			},
			stream: (offset: number, length: number) => source.stream(offset, length),
		} satisfies ByteSource,
	};
}

export const entries = (...names: string[]): RawEntry[] =>
	names.map((name) => ({ name, content: `content of ${name}` }));
