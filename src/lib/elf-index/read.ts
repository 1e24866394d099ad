import type { Symbolizer, UnwindRow } from "../coredump/symbolizer";
import { unwindRowAt } from "../dwarf/cfa-interpreter";
import { ByteCursor } from "../elf/byte-cursor";
import { elfError } from "../elf/elf-error";
import { PageCache } from "../elf/page-cache";
import { functionName } from "../elf/symbol-names";
import type { ByteSource } from "../zip/byte-source";
import {
	checkDirectory,
	type Directory,
	dataOffset,
	HEADER_BYTES,
	INDEX_MAGIC,
	INDEX_VERSION,
	RECORD_BYTES,
	recordsPerBlock,
	type TableName,
} from "./format";
import { NONE } from "./intervals";

/** Pages of the index kept in memory per opened index (64 KiB each). */
const CACHED_PAGES = 64;
const MAX_DIRECTORY_BYTES = 4 * 1024 * 1024;
const UTF8 = new TextDecoder("utf-8");

/**
 * Opens an index written by buildElfIndex: reads its header and directory, then answers each
 * question by reading the one block of records it needs (and the name, path or FDE it points
 * to), keeping recently read pages. Throws ELF_INDEX_CORRUPT when the index is not one.
 */
export async function openElfIndex(index: ByteSource): Promise<Symbolizer> {
	const corrupt = (reason: string) => elfError("ELF_INDEX_CORRUPT", reason);
	if (index.size < HEADER_BYTES) throw corrupt("too short");
	const header = await index.read(0, HEADER_BYTES);
	const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
	if (UTF8.decode(header.subarray(0, 8)) !== INDEX_MAGIC) throw corrupt("no index magic");
	if (view.getUint32(8, true) !== INDEX_VERSION) throw corrupt("another format version");
	const directoryLength = view.getUint32(12, true);
	const dataStart = dataOffset(directoryLength);
	if (directoryLength > MAX_DIRECTORY_BYTES || dataStart > index.size) throw corrupt("directory");
	let parsed: unknown;
	try {
		parsed = JSON.parse(UTF8.decode(await index.read(HEADER_BYTES, directoryLength)));
	} catch {
		throw corrupt("directory");
	}
	const dir = checkDirectory(parsed, index.size - dataStart);
	const data = new PageCache(index, dataStart, index.size - dataStart, CACHED_PAGES);
	return new IndexReader(dir, data);
}

class IndexReader implements Symbolizer {
	constructor(
		private readonly dir: Directory,
		private readonly data: PageCache,
	) {}

	async functionAt(address: number): Promise<{ name: string; address: number } | null> {
		const record = await this.find("functions", address);
		if (!record) return null;
		const nameLength = record.getUint32(12, true);
		if (nameLength === 0) return null;
		const name = await this.string(record.getUint32(8, true), nameLength);
		return { name: functionName(name), address: record.getUint32(4, true) };
	}

	async lineAt(address: number): Promise<{ file: string; line: number } | null> {
		const record = await this.find("lines", address);
		if (!record) return null;
		const fileId = record.getUint32(4, true);
		if (fileId === NONE) return null;
		const files = this.dir.tables.files;
		if (fileId >= files.count) throw elfError("ELF_INDEX_CORRUPT", "file id");
		const entry = await this.data.read(
			files.offset + fileId * RECORD_BYTES.files,
			RECORD_BYTES.files,
		);
		const path = new DataView(entry.buffer, entry.byteOffset, entry.byteLength);
		const file = await this.string(path.getUint32(0, true), path.getUint32(4, true));
		return { file, line: record.getUint32(8, true) };
	}

	async isCode(address: number): Promise<boolean> {
		return this.dir.code.some((range) => address >= range.start && address < range.end);
	}

	async followsCall(address: number): Promise<boolean> {
		const range = this.dir.code.find((r) => address > r.start && address <= r.end && r.calls >= 0);
		if (!range) return false;
		const bit = address - range.start;
		const calls = this.dir.blobs.calls;
		const byte = await this.data.read(calls.offset + range.calls + (bit >> 3), 1);
		return ((byte[0] as number) & (1 << (bit & 7))) !== 0;
	}

	async unwindAt(pc: number): Promise<UnwindRow | null> {
		const record = await this.find("frames", pc);
		if (!record) return null;
		const offset = record.getUint32(4, true);
		if (offset === NONE) return null;
		const cfi = this.dir.blobs.cfi;
		const corrupt = () => elfError("ELF_INDEX_CORRUPT", "call-frame entry");
		if (offset + 4 > cfi.length) throw corrupt();
		const head = await this.data.read(cfi.offset + offset, 4);
		const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
		if (offset + 4 + length > cfi.length) throw corrupt();
		const c = new ByteCursor(await this.data.read(cfi.offset + offset + 4, length));
		try {
			const pcBegin = c.u32();
			const pcEnd = c.u32();
			const codeAlign = c.uleb();
			const dataAlign = c.sleb();
			const returnAddressRegister = c.uleb();
			const cie = c.bytesOf(c.uleb());
			const fde = c.bytesOf(c.uleb());
			if (pc < pcBegin || pc >= pcEnd) return null;
			return unwindRowAt(cie, fde, { codeAlign, dataAlign, returnAddressRegister, pcBegin }, pc);
		} catch {
			throw corrupt();
		}
	}

	/** The record of `table` in force at `key` (the last one starting at or before it). */
	private async find(name: TableName, key: number): Promise<DataView | null> {
		if (!Number.isInteger(key) || key < 0 || key > 0xffffffff) return null;
		const table = this.dir.tables[name];
		const block = lastAtOrBefore(table.fences.length, (i) => table.fences[i] as number, key);
		if (block < 0) return null;
		const perBlock = recordsPerBlock(name);
		const size = RECORD_BYTES[name];
		const first = block * perBlock;
		const count = Math.min(perBlock, table.count - first);
		const bytes = await this.data.read(table.offset + first * size, count * size);
		const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		const at = lastAtOrBefore(count, (i) => view.getUint32(i * size, true), key);
		if (at < 0) return null;
		return new DataView(bytes.buffer, bytes.byteOffset + at * size, size);
	}

	private async string(offset: number, length: number): Promise<string> {
		const strings = this.dir.blobs.strings;
		if (offset + length > strings.length) throw elfError("ELF_INDEX_CORRUPT", "string");
		return UTF8.decode(await this.data.read(strings.offset + offset, length));
	}
}

/** Binary search: the last i in [0, count) with keyAt(i) ≤ key, or −1. */
function lastAtOrBefore(count: number, keyAt: (i: number) => number, key: number): number {
	let lo = 0;
	let hi = count;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (keyAt(mid) <= key) lo = mid + 1;
		else hi = mid;
	}
	return lo - 1;
}
