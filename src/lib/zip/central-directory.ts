import type { ErrorCode } from "../../error-codes";
import { AppError } from "../../errors";
import type { ByteSource } from "./byte-source";

/** One entry as the central directory declares it. Sizes are declarations until inflated. */
export interface ZipEntry {
	name: string;
	/** 0 stored, 8 deflated: nothing else gets past the reader. */
	method: number;
	flags: number;
	crc32: number;
	compressedSize: number;
	uncompressedSize: number;
	localHeaderOffset: number;
	/** Where this entry's data must end: the next entry's local header or the central directory. */
	dataLimit: number;
}

export interface CentralDirectoryOptions {
	/** More entries than this are refused from the end record alone, before any is parsed. */
	maxEntries: number;
	/** Largest central directory read; default 1 MiB (a bundle's takes a few hundred bytes). */
	maxCentralDirectoryBytes?: number;
}

/** Every refusal of the ZIP reader, with its sentence; `{key}` is filled from the details. */
const MESSAGES = {
	ZIP_END_RECORD_NOT_FOUND: "This is not a ZIP archive, or it is cut short.",
	ZIP_ZIP64_UNSUPPORTED: "ZIP64 archives are not supported; a bundle never needs one.",
	ZIP_MULTI_DISK: "Archives split over several disks are not supported.",
	ZIP_EMPTY: "The archive holds no entries.",
	ZIP_TOO_MANY_ENTRIES: "The archive has {entries} entries; at most {limit} are allowed.",
	ZIP_CENTRAL_DIRECTORY_OUT_OF_RANGE: "The central directory is not where the archive says.",
	ZIP_CENTRAL_DIRECTORY_TOO_LARGE:
		"The central directory takes {size} bytes; the limit is {limit}.",
	ZIP_CENTRAL_DIRECTORY_TRUNCATED: "The archive's central directory is cut short.",
	ZIP_CENTRAL_DIRECTORY_CORRUPT: "The archive's central directory is damaged.",
	ZIP_INVALID_NAME: "Entry {record} has an empty name, one not in UTF-8, or control characters.",
	ZIP_ENCRYPTED: "{entry} is encrypted; bundles must not be.",
	ZIP_UNSUPPORTED_METHOD:
		"{entry} uses compression method {method}; only stored (0) and deflate (8) are supported.",
	ZIP_ENTRY_OUT_OF_RANGE: "The data of {entry} runs outside the space the archive gives it.",
	ZIP_OVERLAPPING_ENTRIES: "Entries {entries} share bytes; every entry needs its own.",
	ZIP_LOCAL_HEADER_INVALID: "The local header of {entry} is missing or damaged.",
	ZIP_NAME_MISMATCH: "{entry} has another name in its local header.",
	ZIP_LOCAL_HEADER_MISMATCH: "The local header of {entry} declares another {field}.",
	ZIP_SIZE_MISMATCH: "{entry} does not hold the {declared_size} bytes it declares.",
	ZIP_CRC_MISMATCH: "{entry} is damaged: its CRC-32 does not match.",
	ZIP_DEFLATE_CORRUPT: "The compressed data of {entry} is damaged or cut short.",
	ZIP_ENTRY_TOO_LARGE: "{entry} declares {declared_size} bytes; at most {limit} are allowed.",
	ZIP_SOURCE_UNREADABLE: "The archive could not be read back from storage; please try again.",
} as const satisfies Partial<Record<ErrorCode, string>>;

export type ZipErrorCode = keyof typeof MESSAGES;

/** The AppError for `code`, with the status src/error-codes.ts gives it. */
export function zipError(code: ZipErrorCode, details: Record<string, unknown> = {}): AppError {
	const message = MESSAGES[code].replace(/\{(\w+)\}/g, (_, key: string) => shown(details[key]));
	return new AppError(code, message, details);
}

function shown(value: unknown): string {
	if (Array.isArray(value)) return value.map(shown).join(" and ");
	if (typeof value !== "string") return String(value);
	return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/** Fixed part of a local file header; its name and extra field follow. */
export const LOCAL_HEADER_SIZE = 30;
const END_SIGNATURE = 0x06054b50;
const END_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_SIZE = 46;
/** Flag bits 0 (encrypted), 6 (strong encryption) and 13 (encrypted central directory). */
export const ENCRYPTION_FLAGS = 0x0001 | 0x0040 | 0x2000;
/** WinZip AES marks its entries with method 99. */
const AES_METHOD = 99;
const NAME_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

type Parsed = { entry: ZipEntry; headerSpan: number };

/**
 * Reads the central directory found through the end record, in one or two reads. Whatever a
 * bundle must not be (ZIP64, split, encrypted, other methods, entries outside the file or on top
 * of each other) is refused here, before any entry data is read.
 */
export async function readCentralDirectory(
	source: ByteSource,
	options: CentralDirectoryOptions,
): Promise<ZipEntry[]> {
	const tailStart = Math.max(0, source.size - (END_SIZE + 0xffff + ZIP64_LOCATOR_SIZE));
	const tail = await source.read(tailStart, source.size - tailStart);
	const end = findEndRecord(tail);
	if (end < 0) throw zipError("ZIP_END_RECORD_NOT_FOUND");
	const record = view(tail, end);
	const [disk, directoryDisk, diskEntries, count] = [4, 6, 8, 10].map((at) =>
		record.getUint16(at, true),
	) as [number, number, number, number];
	const size = record.getUint32(12, true);
	const offset = record.getUint32(16, true);
	const endOffset = tailStart + end;
	const locator = end >= ZIP64_LOCATOR_SIZE ? view(tail, end - ZIP64_LOCATOR_SIZE) : undefined;

	const zip64 = locator?.getUint32(0, true) === ZIP64_LOCATOR_SIGNATURE;
	const marked = [disk, directoryDisk, diskEntries, count].includes(0xffff);
	if (zip64 || marked || size === 0xffffffff || offset === 0xffffffff) {
		throw zipError("ZIP_ZIP64_UNSUPPORTED");
	}
	if (disk !== 0 || directoryDisk !== 0 || diskEntries !== count) throw zipError("ZIP_MULTI_DISK");
	if (count === 0) throw zipError("ZIP_EMPTY");
	if (count > options.maxEntries) {
		throw zipError("ZIP_TOO_MANY_ENTRIES", { entries: count, limit: options.maxEntries });
	}
	if (offset + size !== endOffset) {
		const details = { offset, size, end_record_offset: endOffset };
		throw zipError("ZIP_CENTRAL_DIRECTORY_OUT_OF_RANGE", details);
	}
	const limit = options.maxCentralDirectoryBytes ?? 1024 * 1024;
	if (size > limit) throw zipError("ZIP_CENTRAL_DIRECTORY_TOO_LARGE", { size, limit });
	if (size < count * CENTRAL_SIZE) throw zipError("ZIP_CENTRAL_DIRECTORY_TRUNCATED", { size });

	const directory =
		offset >= tailStart ? tail.subarray(offset - tailStart, end) : await source.read(offset, size);
	return withDataLimits(parseRecords(directory, count, offset), offset);
}

function parseRecords(directory: Uint8Array, count: number, directoryOffset: number): Parsed[] {
	const parsed: Parsed[] = [];
	let at = 0;
	for (let index = 0; index < count; index++) {
		const truncated = () => zipError("ZIP_CENTRAL_DIRECTORY_TRUNCATED", { record: index + 1 });
		if (at + CENTRAL_SIZE > directory.length) throw truncated();
		const record = view(directory, at);
		if (record.getUint32(0, true) !== CENTRAL_SIGNATURE) {
			throw zipError("ZIP_CENTRAL_DIRECTORY_CORRUPT", { record: index + 1 });
		}
		const nameLength = record.getUint16(28, true);
		const nameEnd = at + CENTRAL_SIZE + nameLength;
		const recordEnd = nameEnd + record.getUint16(30, true) + record.getUint16(32, true);
		if (recordEnd > directory.length) throw truncated();
		const entry: ZipEntry = {
			name: decodeName(directory.subarray(at + CENTRAL_SIZE, nameEnd), index),
			method: record.getUint16(10, true),
			flags: record.getUint16(8, true),
			crc32: record.getUint32(16, true),
			compressedSize: record.getUint32(20, true),
			uncompressedSize: record.getUint32(24, true),
			localHeaderOffset: record.getUint32(42, true),
			dataLimit: directoryOffset,
		};
		const headerSpan = LOCAL_HEADER_SIZE + nameLength;
		checkEntry(entry, record.getUint16(34, true), headerSpan);
		parsed.push({ entry, headerSpan });
		at = recordEnd;
	}
	if (at !== directory.length) {
		throw zipError("ZIP_CENTRAL_DIRECTORY_CORRUPT", {
			entries: count,
			unparsed_bytes: directory.length - at,
		});
	}
	return parsed;
}

function checkEntry(entry: ZipEntry, diskStart: number, headerSpan: number): void {
	const { name, method, compressedSize, uncompressedSize, localHeaderOffset } = entry;
	if (
		diskStart === 0xffff ||
		[compressedSize, uncompressedSize, localHeaderOffset].includes(0xffffffff)
	) {
		throw zipError("ZIP_ZIP64_UNSUPPORTED", { entry: name });
	}
	if (diskStart !== 0) throw zipError("ZIP_MULTI_DISK", { entry: name });
	if (entry.flags & ENCRYPTION_FLAGS || method === AES_METHOD) {
		throw zipError("ZIP_ENCRYPTED", { entry: name });
	}
	if (method !== 0 && method !== 8)
		throw zipError("ZIP_UNSUPPORTED_METHOD", { entry: name, method });
	if (method === 0 && compressedSize !== uncompressedSize) {
		const details = {
			entry: name,
			declared_size: uncompressedSize,
			compressed_size: compressedSize,
		};
		throw zipError("ZIP_SIZE_MISMATCH", details);
	}
	if (localHeaderOffset + headerSpan + compressedSize > entry.dataLimit) {
		const details = { entry: name, offset: localHeaderOffset, compressed_size: compressedSize };
		throw zipError("ZIP_ENTRY_OUT_OF_RANGE", details);
	}
}

/** Refuses entries whose header and data overlap another's; gives each the end it must keep. */
function withDataLimits(parsed: Parsed[], directoryOffset: number): ZipEntry[] {
	const byOffset = parsed
		.map((p) => p)
		.sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset);
	byOffset.forEach(({ entry, headerSpan }, i) => {
		const next = byOffset[i + 1]?.entry;
		const spanEnd = entry.localHeaderOffset + headerSpan + entry.compressedSize;
		if (next && spanEnd > next.localHeaderOffset) {
			throw zipError("ZIP_OVERLAPPING_ENTRIES", { entries: [entry.name, next.name] });
		}
		entry.dataLimit = next ? next.localHeaderOffset : directoryOffset;
	});
	return parsed.map((p) => p.entry);
}

/** The last end record whose comment reaches exactly to the end of the file, or -1. */
function findEndRecord(tail: Uint8Array): number {
	const data = view(tail, 0);
	for (let at = tail.length - END_SIZE; at >= 0; at--) {
		if (data.getUint32(at, true) !== END_SIGNATURE) continue;
		if (at + END_SIZE + data.getUint16(at + 20, true) === tail.length) return at;
	}
	return -1;
}

function decodeName(bytes: Uint8Array, index: number): string {
	let name = "";
	try {
		name = NAME_DECODER.decode(bytes);
	} catch {
		// Not UTF-8: refused below, like an empty name.
	}
	if (name === "" || CONTROL_CHARACTERS.test(name)) {
		throw zipError("ZIP_INVALID_NAME", { record: index + 1 });
	}
	return name;
}

export function view(bytes: Uint8Array, at: number): DataView {
	return new DataView(bytes.buffer, bytes.byteOffset + at, bytes.byteLength - at);
}
