import type { ByteSource } from "../zip/byte-source";
import { elfError, elfInvalid } from "./elf-error";
import { type ElfFile, type ElfSection, SHT_STRTAB, SHT_SYMTAB } from "./elf-file";
import { type ByteBlob, GrowableU32 } from "./growable";
import { RangeReader } from "./range-reader";

const ENTRY_SIZE = 16;
const STT_NOTYPE = 0;
const STT_FUNC = 2;
const SHN_LORESERVE = 0xff00;
/** Windows a symbol name is looked for in: most are short, C++ names can be long. */
const NAME_WINDOWS = [4096, 64 * 1024];

export const BIND_LOCAL = 0;
export const BIND_GLOBAL = 1;
export const BIND_WEAK = 2;

/** The FUNC and NOTYPE symbols defined in code sections, as parallel arrays. */
export interface CodeSymbols {
	count: number;
	value: Uint32Array;
	size: Uint32Array;
	/** 1 for FUNC, 0 for NOTYPE. */
	isFunction: Uint8Array;
	bind: Uint8Array;
	/** End address of the symbol's section. */
	sectionEnd: Float64Array;
	/** The name, in the blob given to `readCodeSymbols`. */
	nameOffset: Uint32Array;
	nameLength: Uint32Array;
	/** Addresses where instructions start (symbols, `$x` mapping symbols), sorted. */
	codeMarks: Uint32Array;
	/** Addresses where data starts inside code (`$d` mapping symbols), sorted. */
	dataMarks: Uint32Array;
}

export interface SymbolLimits {
	maxSymbols: number;
	/** Bytes per ranged read. */
	chunkBytes: number;
}

/**
 * Streams `.symtab` and keeps the symbols a crash decoder can name a PC with: FUNC and NOTYPE
 * symbols defined in a code section, without mapping symbols (`$x`, `$d`) or local labels
 * (`.L…`). Their names are appended to `names`, read from `.strtab` in one forward pass.
 */
export async function readCodeSymbols(
	source: ByteSource,
	elf: ElfFile,
	code: ElfSection[],
	names: ByteBlob,
	limits: SymbolLimits,
): Promise<CodeSymbols> {
	const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB);
	const found = symtab ? await scanSymtab(source, symtab, code, limits) : emptyScan();
	const strtab = symtab ? elf.sections[symtab.link] : undefined;
	if (symtab && (!strtab || strtab.type !== SHT_STRTAB)) {
		throw elfInvalid("the symbol table has no string table", { section: ".symtab" });
	}
	const order = Array.from({ length: found.entries.length / 5 }, (_, i) => i);
	order.sort((a, b) => found.entries.get(a * 5 + 4) - found.entries.get(b * 5 + 4));
	const keep: number[] = [];
	const nameAt = new Map<number, [number, number]>();
	const codeMarks: number[] = [];
	const dataMarks: number[] = [];
	if (strtab) {
		const reader = new RangeReader(
			source,
			strtab.offset,
			strtab.size,
			".strtab",
			limits.chunkBytes,
		);
		for (const i of order) {
			const offset = found.entries.get(i * 5 + 4);
			reader.seek(offset);
			const name = await reader.withWindow(NAME_WINDOWS, () => reader.cstringBytes());
			const value = found.entries.get(i * 5);
			if (name[0] === 0x24 /* $ */ && (name[1] === 0x78 /* x */ || name[1] === 0x64) /* d */) {
				(name[1] === 0x78 ? codeMarks : dataMarks).push(value);
				continue;
			}
			if (name.length === 0 || (name[0] === 0x2e /* . */ && name[1] === 0x4c) /* L */) continue;
			nameAt.set(i, [names.append(name), name.length]);
			keep.push(i);
		}
	}
	keep.sort((a, b) => a - b);
	return collect(found, keep, nameAt, code, codeMarks, dataMarks);
}

interface Scan {
	/** Per candidate: value, size, info, section index, name offset. */
	entries: GrowableU32;
}

function emptyScan(): Scan {
	return { entries: new GrowableU32(5) };
}

async function scanSymtab(
	source: ByteSource,
	symtab: ElfSection,
	code: ElfSection[],
	limits: SymbolLimits,
): Promise<Scan> {
	if ((symtab.entsize !== ENTRY_SIZE && symtab.entsize !== 0) || symtab.size % ENTRY_SIZE !== 0) {
		throw elfInvalid("symbol entries have an unexpected size", { section: ".symtab" });
	}
	const codeIndexes = new Set(code.map((s) => s.index));
	const reader = new RangeReader(source, symtab.offset, symtab.size, ".symtab", limits.chunkBytes);
	const entries = new GrowableU32(5 * 1024);
	const count = symtab.size / ENTRY_SIZE;
	for (let i = 0; i < count; i++) {
		if (reader.available() < ENTRY_SIZE) await reader.fill(ENTRY_SIZE);
		const name = reader.u32();
		const value = reader.u32();
		const size = reader.u32();
		const info = reader.u8();
		reader.u8();
		const shndx = reader.u16();
		const type = info & 0xf;
		if (type !== STT_FUNC && type !== STT_NOTYPE) continue;
		if (shndx >= SHN_LORESERVE || !codeIndexes.has(shndx) || name === 0) continue;
		if (entries.length / 5 >= limits.maxSymbols) {
			throw elfError("ELF_INDEX_TOO_LARGE", "too many symbols", { limit: limits.maxSymbols });
		}
		entries.push(value);
		entries.push(size);
		entries.push(info);
		entries.push(shndx);
		entries.push(name);
	}
	return { entries };
}

function collect(
	found: Scan,
	keep: number[],
	nameAt: Map<number, [number, number]>,
	code: ElfSection[],
	codeMarks: number[],
	dataMarks: number[],
): CodeSymbols {
	const count = keep.length;
	const ends = new Map(code.map((s) => [s.index, s.addr + s.size]));
	const out: CodeSymbols = {
		count,
		value: new Uint32Array(count),
		size: new Uint32Array(count),
		isFunction: new Uint8Array(count),
		bind: new Uint8Array(count),
		sectionEnd: new Float64Array(count),
		nameOffset: new Uint32Array(count),
		nameLength: new Uint32Array(count),
		codeMarks: Uint32Array.from(codeMarks).sort(),
		dataMarks: Uint32Array.from(dataMarks).sort(),
	};
	keep.forEach((i, k) => {
		const e = found.entries;
		out.value[k] = e.get(i * 5);
		out.size[k] = e.get(i * 5 + 1);
		const info = e.get(i * 5 + 2);
		out.isFunction[k] = (info & 0xf) === STT_FUNC ? 1 : 0;
		out.bind[k] = info >> 4;
		out.sectionEnd[k] = ends.get(e.get(i * 5 + 3)) ?? 0;
		const [offset, length] = nameAt.get(i) ?? [0, 0];
		out.nameOffset[k] = offset;
		out.nameLength[k] = length;
	});
	const starts = Uint32Array.from(out.value).sort();
	out.codeMarks = mergeSorted(out.codeMarks, starts);
	return out;
}

function mergeSorted(a: Uint32Array, b: Uint32Array): Uint32Array {
	const out = new Uint32Array(a.length + b.length);
	out.set(a);
	out.set(b, a.length);
	return out.sort();
}
