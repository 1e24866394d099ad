import { AppError } from "../../errors";
import { crc32 } from "../crc32";
import type { ByteSource } from "./byte-source";
import {
	ENCRYPTION_FLAGS,
	LOCAL_HEADER_SIZE,
	view,
	type ZipEntry,
	type ZipErrorCode,
	zipError,
} from "./central-directory";

const LOCAL_SIGNATURE = 0x04034b50;
/** Flag bit 3: CRC and sizes follow the data, so the local header carries zeros for them. */
const DATA_DESCRIPTOR_FLAG = 0x0008;
const NAME_ENCODER = new TextEncoder();

/**
 * Compressed bytes handed to the inflater at a time. Deflate yields at most 1032 bytes per
 * input byte, so one slice (plus the few bits the inflater holds back) can never inflate to more
 * than OUTPUT_BYTES: one read of that size takes everything a write produced.
 */
const INPUT_SLICE_BYTES = 4096;
const OUTPUT_BYTES = 1032 * (INPUT_SLICE_BYTES + 8) + 258;

/**
 * The entry's original bytes as a stream. The local header must agree with the central
 * directory; the stream errors with an AppError as soon as more bytes come out than the entry
 * declares (before they are passed on), and at the end when fewer did, the CRC-32 differs, or
 * the compressed data is damaged.
 */
export async function openEntry(
	source: ByteSource,
	entry: ZipEntry,
): Promise<ReadableStream<Uint8Array>> {
	const dataOffset = await checkLocalHeader(source, entry);
	const raw = exactly(await source.stream(dataOffset, entry.compressedSize), entry.compressedSize);
	const chunks = verified(entry.method === 8 ? inflated(raw, entry) : raw, entry);
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				const next = await chunks.next();
				if (next.done) controller.close();
				else controller.enqueue(next.value);
			},
			async cancel() {
				await chunks.return(undefined);
			},
		},
		{ highWaterMark: 0 },
	);
}

/**
 * A small entry, whole, in a buffer of exactly its declared size: the declaration is checked
 * against `maxBytes` before anything is allocated or inflated.
 */
export async function readEntry(
	source: ByteSource,
	entry: ZipEntry,
	maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
	const size = entry.uncompressedSize;
	if (size > maxBytes) {
		throw zipError("ZIP_ENTRY_TOO_LARGE", {
			entry: entry.name,
			declared_size: size,
			limit: maxBytes,
		});
	}
	const bytes = new Uint8Array(size);
	const reader = (await openEntry(source, entry)).getReader();
	for (let at = 0; ; ) {
		const { done, value } = await reader.read();
		if (done) return bytes;
		bytes.set(value, at);
		at += value.length;
	}
}

/** Checks the local header against the central directory; returns where the data starts. */
async function checkLocalHeader(source: ByteSource, entry: ZipEntry): Promise<number> {
	const name = NAME_ENCODER.encode(entry.name);
	const header = await source.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE + name.length);
	const fields = view(header, 0);
	const fail = (code: ZipErrorCode, extra: Record<string, unknown> = {}) =>
		zipError(code, { entry: entry.name, ...extra });
	if (fields.getUint32(0, true) !== LOCAL_SIGNATURE) throw fail("ZIP_LOCAL_HEADER_INVALID");

	const flags = fields.getUint16(6, true);
	const nameLength = fields.getUint16(26, true);
	const localName = header.subarray(LOCAL_HEADER_SIZE);
	if (nameLength !== name.length || localName.some((byte, i) => byte !== name[i])) {
		throw fail("ZIP_NAME_MISMATCH");
	}
	if (flags & ENCRYPTION_FLAGS) throw fail("ZIP_ENCRYPTED");
	const declared: [string, number, number][] = [
		["method", fields.getUint16(8, true), entry.method],
	];
	if (!(flags & DATA_DESCRIPTOR_FLAG)) {
		declared.push(
			["crc32", fields.getUint32(14, true), entry.crc32],
			["compressed size", fields.getUint32(18, true), entry.compressedSize],
			["size", fields.getUint32(22, true), entry.uncompressedSize],
		);
	}
	const differing = declared.find(([, local, central]) => local !== central);
	if (differing) throw fail("ZIP_LOCAL_HEADER_MISMATCH", { field: differing[0] });

	const dataOffset = entry.localHeaderOffset + header.length + fields.getUint16(28, true);
	if (dataOffset + entry.compressedSize > entry.dataLimit) {
		throw fail("ZIP_ENTRY_OUT_OF_RANGE", { offset: dataOffset, limit: entry.dataLimit });
	}
	return dataOffset;
}

/** Passes the chunks on, refusing a byte past the declared size, then checks size and CRC-32. */
async function* verified(chunks: AsyncGenerator<Uint8Array>, entry: ZipEntry) {
	const declared = entry.uncompressedSize;
	const mismatch = (actual: number, atLeast: boolean) =>
		zipError("ZIP_SIZE_MISMATCH", {
			entry: entry.name,
			declared_size: declared,
			[atLeast ? "inflated_at_least" : "inflated_size"]: actual,
		});
	let count = 0;
	let crc = 0;
	for await (const chunk of chunks) {
		count += chunk.length;
		if (count > declared) throw mismatch(count, true);
		crc = crc32(chunk, crc);
		yield chunk;
	}
	if (count !== declared) throw mismatch(count, false);
	if (crc !== entry.crc32) {
		const details = { entry: entry.name, declared_crc32: entry.crc32, actual_crc32: crc };
		throw zipError("ZIP_CRC_MISMATCH", details);
	}
}

/**
 * Inflates with the platform's native inflater, which does not push back on its writer: it
 * inflates each write whole into its own queue. So it is fed one slice at a time with a read
 * waiting that takes all that slice produced; memory stays at one slice's output however far
 * the data inflates. A read one byte longer than the declared size is as good: filling it
 * already proves the entry lies.
 */
async function* inflated(input: AsyncGenerator<Uint8Array>, entry: ZipEntry) {
	const inflater = new DecompressionStream("deflate-raw");
	const writer = inflater.writable.getWriter();
	const reader = inflater.readable.getReader({ mode: "byob" });
	let buffer = new ArrayBuffer(Math.min(OUTPUT_BYTES, entry.uncompressedSize + 1));
	let settled: ReadableStreamReadResult<Uint8Array> | undefined;
	let pending!: Promise<ReadableStreamReadResult<Uint8Array>>;
	const startRead = () => {
		settled = undefined;
		pending = reader.read(new Uint8Array(buffer));
		pending.then(
			(result) => {
				settled = result;
			},
			() => {}, // the failed write reports the same error
		);
	};
	/** Copies the read out (its buffer is reused) and starts the next read. */
	const take = (result: ReadableStreamReadResult<Uint8Array>) => {
		const value = result.value as Uint8Array;
		const copy = value.slice();
		buffer = value.buffer as ArrayBuffer;
		startRead();
		return copy;
	};
	let finished = false;
	try {
		startRead();
		for await (const chunk of input) {
			for (let at = 0; at < chunk.length; at += INPUT_SLICE_BYTES) {
				await writer.write(chunk.subarray(at, at + INPUT_SLICE_BYTES));
				if (settled && !settled.done) yield take(settled);
			}
		}
		await writer.close();
		for (let result = await pending; !result.done; result = await pending) yield take(result);
		finished = true;
	} catch (error) {
		if (error instanceof AppError) throw error;
		throw zipError("ZIP_DEFLATE_CORRUPT", { entry: entry.name });
	} finally {
		if (!finished) {
			writer.abort().catch(() => {});
			reader.cancel().catch(() => {});
		}
	}
}

/** The source's chunks, checked to add up to exactly `length` bytes. */
async function* exactly(stream: ReadableStream<Uint8Array>, length: number) {
	const reader = stream.getReader();
	let count = 0;
	let done = false;
	try {
		for (;;) {
			const next = await reader.read().catch((cause: unknown) => {
				const error = zipError("ZIP_SOURCE_UNREADABLE");
				error.cause = cause;
				throw error;
			});
			if (next.done) break;
			count += next.value.length;
			if (count > length) break;
			yield next.value;
		}
		done = count === length;
		if (!done)
			throw zipError("ZIP_SOURCE_UNREADABLE", { expected_bytes: length, read_bytes: count });
	} finally {
		if (!done) reader.cancel().catch(() => {});
	}
}
