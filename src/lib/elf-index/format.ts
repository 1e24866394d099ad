import { elfError } from "../elf/elf-error";
import { PAGE_BYTES } from "../elf/page-cache";

/**
 * The ELF index, as stored. A 16-byte header (magic, format version, directory length), a
 * JSON directory, then tables of fixed-size little-endian records and blobs:
 *
 * - functions: {start, symbol value, name offset, name length}: from `start` to the next
 *   record's start, the symbol so named covers the code (name length 0: none does);
 * - lines: {start, file id, line}: the same for `.debug_line` rows (file id NONE: no line);
 * - files: {path offset, path length}, indexed by file id;
 * - frames: {start, CFI offset}: the FDE in force from `start` (NONE: no FDE);
 * - strings: names and paths (UTF-8); cfi: FDEs with their CIE's part, programs with plain
 *   4-byte addresses; calls: one bit per code byte, set where a linking call ends.
 *
 * Offsets in the directory count from the data start (the end of the directory, aligned).
 * A lookup reads the directory once, then one block of records (a page) and what it points to.
 * The directory keeps the first key of each block ("fences") to find the block without a read.
 */
export const INDEX_MAGIC = "OTAELFIX";
export const INDEX_VERSION = 1;
export const HEADER_BYTES = 16;

/** Where the data starts, after the header and a directory of `directoryLength` bytes. */
export function dataOffset(directoryLength: number): number {
	return (HEADER_BYTES + directoryLength + 7) & ~7;
}

export const RECORD_BYTES = { functions: 16, lines: 12, files: 8, frames: 8 } as const;
export type TableName = keyof typeof RECORD_BYTES;

/** Records per block of a table: one page each. */
export function recordsPerBlock(table: TableName): number {
	return Math.floor(PAGE_BYTES / RECORD_BYTES[table]);
}

export interface TableEntry {
	offset: number;
	count: number;
	/** Key (start address) of the first record of each block. */
	fences: number[];
}

export interface BlobEntry {
	offset: number;
	length: number;
}

export interface CodeRange {
	start: number;
	end: number;
	/** Offset of its call bits in the calls blob, or −1 (no contents in the ELF). */
	calls: number;
}

export interface Directory {
	machine: number;
	code: CodeRange[];
	tables: Record<TableName, TableEntry>;
	blobs: { strings: BlobEntry; cfi: BlobEntry; calls: BlobEntry };
}

/** Checks a directory read back from storage: every range inside the data. */
export function checkDirectory(value: unknown, dataSize: number): Directory {
	const corrupt = (reason: string) => elfError("ELF_INDEX_CORRUPT", reason);
	const dir = value as Directory;
	const isCount = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
	const inside = (offset: unknown, length: number) =>
		isCount(offset) && (offset as number) + length <= dataSize;
	if (typeof dir !== "object" || dir === null || !isCount(dir.machine)) throw corrupt("directory");
	if (!Array.isArray(dir.code)) throw corrupt("code ranges");
	for (const range of dir.code) {
		if (!isCount(range?.start) || !isCount(range.end) || range.end < range.start)
			throw corrupt("code ranges");
		if (!Number.isSafeInteger(range.calls) || range.calls < -1) throw corrupt("code ranges");
	}
	for (const name of Object.keys(RECORD_BYTES) as TableName[]) {
		const table = dir.tables?.[name];
		if (
			!table ||
			!isCount(table.count) ||
			!inside(table.offset, table.count * RECORD_BYTES[name])
		) {
			throw corrupt(`${name} table`);
		}
		const blocks = Math.ceil(table.count / recordsPerBlock(name));
		if (!Array.isArray(table.fences) || table.fences.length !== (name === "files" ? 0 : blocks)) {
			throw corrupt(`${name} fences`);
		}
	}
	for (const blob of [dir.blobs?.strings, dir.blobs?.cfi, dir.blobs?.calls]) {
		if (!blob || !isCount(blob.length) || !inside(blob.offset, blob.length)) throw corrupt("blobs");
	}
	for (const range of dir.code) {
		if (
			range.calls >= 0 &&
			range.calls + Math.ceil((range.end - range.start + 1) / 8) > dir.blobs.calls.length
		) {
			throw corrupt("call bits");
		}
	}
	return dir;
}
