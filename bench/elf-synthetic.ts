// A firmware ELF of any size that exists only as a recipe: its sections are made of a few
// concrete parts (code pattern, symbols, line tables, CFI) and of padding units repeated to the
// size asked for, read back by range. Building an index of it measures the index builder on a
// 256 MiB ELF without the ELF ever being in memory.
import type { ByteSource } from "../src/lib/zip/byte-source";
import { ByteWriter } from "../test/fixtures/elf/byte-writer";
import { cfa, writeDebugFrame } from "../test/fixtures/elf/cfi-writer";
import { writeDebugInfo } from "../test/fixtures/elf/debug-info-writer";
import {
	concat,
	EM_RISCV,
	type SectionSpec,
	StringTable,
	symbolTable,
	writeElf,
} from "../test/fixtures/elf/elf-writer";
import { type LineSequence, writeLineProgram } from "../test/fixtures/elf/line-program-writer";

const TEXT = 0x42000000;
const FUNCTION_BYTES = 64;

export interface SyntheticOptions {
	/** Total size of the ELF (the padding of `.debug_line` and `.debug_info` makes it up). */
	totalBytes: number;
	/** Functions of 64 bytes each, with a symbol, line rows every 4 bytes and an FDE. */
	functions: number;
}

/** A part of the file: bytes as they are, or a pattern repeated over `length`. */
type Part = { at: number; length: number; bytes: Uint8Array; repeat: boolean };

export function syntheticElf(options: SyntheticOptions): ByteSource & { description: string } {
	const { functions } = options;
	const codeBytes = functions * FUNCTION_BYTES;
	const code = codePattern();
	const symbols = Array.from({ length: functions }, (_, i) => ({
		name: `component_${i % 97}_function_${i}`,
		value: TEXT + i * FUNCTION_BYTES,
		size: FUNCTION_BYTES,
		type: 2,
		bind: 1,
		shndx: 1,
	}));
	const { symtab, strtab } = symbolTable(symbols);
	const strings = { str: new StringTable(), lineStr: new StringTable() };
	const lines = realLines(functions, strings);
	const frames = writeDebugFrame([
		{
			kind: "cie",
			codeAlign: 1,
			dataAlign: -4,
			returnAddressRegister: 1,
			instructions: cfa.defCfaRegister(2),
		},
		...symbols.map((s) => ({
			kind: "fde" as const,
			cie: 0,
			pcBegin: s.value,
			pcRange: FUNCTION_BYTES,
			instructions: [
				...cfa.advance(2),
				...cfa.defCfaOffset(32),
				...cfa.advance(2),
				...cfa.offset(1, 1),
				...cfa.offset(8, 2),
			],
		})),
	]);
	const { info: realInfo, abbrev } = writeDebugInfo(
		[
			{
				version: 5,
				stmtList: 0,
				name: "/project/main/app.c",
				compDir: "/project",
				stringForm: "line_strp",
			},
		],
		strings,
	);
	const lineStr = strings.lineStr.bytes();
	const str = strings.str.bytes();
	const linePadding = paddingLineUnit(strings);
	const infoPadding = paddingInfoUnit();
	const fixed =
		codeBytes + symtab.length + strtab.length + lines.length + frames.length + realInfo.length;
	const paddingBytes = Math.max(0, options.totalBytes - fixed - 64 * 1024);
	const linePaddingBytes = roundDown(Math.floor(paddingBytes * 0.6), linePadding.length);
	const infoPaddingBytes = roundDown(paddingBytes - linePaddingBytes, infoPadding.length);

	const sections: {
		name: string;
		type: number;
		flags: number;
		addr: number;
		parts: Omit<Part, "at">[];
		link?: number;
		entsize?: number;
	}[] = [
		{
			name: ".text",
			type: 1,
			flags: 6,
			addr: TEXT,
			parts: [{ length: codeBytes, bytes: code, repeat: true }],
		},
		{ name: ".symtab", type: 2, flags: 0, addr: 0, parts: [whole(symtab)], link: 3, entsize: 16 },
		{ name: ".strtab", type: 3, flags: 0, addr: 0, parts: [whole(strtab)] },
		{
			name: ".debug_line",
			type: 1,
			flags: 0,
			addr: 0,
			parts: [whole(lines), { length: linePaddingBytes, bytes: linePadding, repeat: true }],
		},
		{ name: ".debug_line_str", type: 1, flags: 0, addr: 0, parts: [whole(lineStr)] },
		{ name: ".debug_str", type: 1, flags: 0, addr: 0, parts: [whole(str)] },
		{
			name: ".debug_info",
			type: 1,
			flags: 0,
			addr: 0,
			parts: [whole(realInfo), { length: infoPaddingBytes, bytes: infoPadding, repeat: true }],
		},
		{ name: ".debug_abbrev", type: 1, flags: 0, addr: 0, parts: [whole(abbrev)] },
		{ name: ".debug_frame", type: 1, flags: 0, addr: 0, parts: [whole(frames)] },
	];
	return layout(sections, {
		description: `${functions} functions (${codeBytes} bytes of code), ${linePaddingBytes} bytes of .debug_line and ${infoPaddingBytes} of .debug_info padding`,
	});
}

/**
 * `elf` (an ELF32 as test/fixtures/elf/elf-writer.ts writes it, section name table last) grown
 * to about `totalBytes` the way a bigger firmware grows: `.debug_line` and `.debug_info` get
 * the padding units of `syntheticElf` appended (line programs of discarded code, big
 * compilation units), everything else stays as it was, so a dump decodes against it as before.
 */
export function paddedElf(elf: Uint8Array, totalBytes: number): Uint8Array {
	const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
	const shoff = view.getUint32(32, true);
	const count = view.getUint16(48, true);
	const shstrndx = view.getUint16(50, true);
	if (shstrndx !== count - 1) throw new Error("paddedElf needs the section name table last");
	const header = (i: number, field: number) => view.getUint32(shoff + i * 40 + field * 4, true);
	const names = header(shstrndx, 4);
	const nameAt = (offset: number) => {
		let end = names + offset;
		while (elf[end] !== 0) end++;
		return new TextDecoder().decode(elf.subarray(names + offset, end));
	};
	const strings = { str: new StringTable(), lineStr: new StringTable() };
	const lineUnit = paddingLineUnit(strings);
	const infoUnit = paddingInfoUnit();
	const padding = Math.max(0, totalBytes - elf.length);
	const linePadding = roundDown(Math.floor(padding * 0.6), lineUnit.length);
	const infoPadding = roundDown(padding - linePadding, infoUnit.length);
	const repeated = (unit: Uint8Array, length: number) => {
		const out = new Uint8Array(length);
		for (let at = 0; at < length; at += unit.length) out.set(unit, at);
		return out;
	};
	const sections: SectionSpec[] = [];
	for (let i = 1; i < shstrndx; i++) {
		const [type, offset, size] = [header(i, 1), header(i, 4), header(i, 5)];
		const name = nameAt(header(i, 0));
		let data = type === 8 ? undefined : elf.subarray(offset, offset + size);
		if (name === ".debug_line" && data) data = concat([data, repeated(lineUnit, linePadding)]);
		if (name === ".debug_info" && data) data = concat([data, repeated(infoUnit, infoPadding)]);
		sections.push({
			name,
			type,
			flags: header(i, 2),
			addr: header(i, 3),
			data,
			size: type === 8 ? size : undefined,
			link: header(i, 6),
			info: header(i, 7),
			align: header(i, 8),
			entsize: header(i, 9),
		});
	}
	return writeElf({ machine: view.getUint16(18, true), sections });
}

function whole(bytes: Uint8Array): Omit<Part, "at"> {
	return { length: bytes.length, bytes, repeat: false };
}

function roundDown(n: number, unit: number): number {
	return n - (n % unit);
}

/** 64 bytes of RISC-V: c.nop, then a jal ra every 16 bytes. */
function codePattern(): Uint8Array {
	const w = new ByteWriter();
	for (let i = 0; i < 4; i++)
		w.raw([
			0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0xef, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01,
			0x00,
		]);
	return w.toBytes();
}

/** One DWARF 5 unit with a sequence per function, a row every 4 bytes in two files. */
function realLines(
	functions: number,
	strings: { str: StringTable; lineStr: StringTable },
): Uint8Array {
	const sequences: LineSequence[] = [];
	for (let f = 0; f < functions; f++) {
		const start = TEXT + f * FUNCTION_BYTES;
		const rows = Array.from({ length: FUNCTION_BYTES / 4 }, (_, r) => ({
			address: start + r * 4,
			file: r % 5 === 4 ? 2 : 1,
			line: 10 + f * 3 + r,
		}));
		sequences.push({ rows, end: start + FUNCTION_BYTES });
	}
	return writeLineProgram(
		{
			version: 5,
			dirs: ["/project", "/project/components/driver/include"],
			files: [
				{ name: "main/app.c", dir: 0 },
				{ name: "main/app.c", dir: 0 },
				{ name: "gpio.h", dir: 1 },
			],
			sequences,
		},
		strings,
	);
}

/** A line program unit of about 1 MiB whose sequences describe discarded code (address 0). */
function paddingLineUnit(strings: { str: StringTable; lineStr: StringTable }): Uint8Array {
	const sequences: LineSequence[] = [];
	for (let s = 0; s < 2600; s++) {
		const rows = Array.from({ length: 40 }, (_, r) => ({
			address: r * 4,
			file: 1,
			line: 100 + r * 2,
		}));
		sequences.push({ rows, end: 160 });
	}
	return writeLineProgram(
		{
			version: 4,
			dirs: ["/project/components/unused"],
			files: [{ name: "unused.c", dir: 1 }],
			sequences,
		},
		strings,
	);
}

/** A compilation unit of 1 MiB, as a big C++ unit's types would make it: skipped unread. */
function paddingInfoUnit(): Uint8Array {
	const body = new ByteWriter().u16(4).u32(0).u8(4); // version, abbrev offset 0, address size
	const size = 1024 * 1024;
	const bytes = new Uint8Array(size);
	const head = new ByteWriter()
		.u32(size - 4)
		.raw(body.toBytes())
		.toBytes();
	bytes.set(head);
	// A first entry with an abbreviation code nothing defines: read, then the rest skipped.
	bytes[head.length] = 0x7f;
	return bytes;
}

/** Lays sections out after a header; the section table goes last. */
function layout(
	sections: {
		name: string;
		type: number;
		flags: number;
		addr: number;
		parts: Omit<Part, "at">[];
		link?: number;
		entsize?: number;
	}[],
	meta: { description: string },
): ByteSource & { description: string } {
	const names = new StringTable();
	const nameOffsets = sections.map((s) => names.add(s.name));
	const shstrtabName = names.add(".shstrtab");
	const shstrtab = names.bytes();
	const parts: Part[] = [];
	let at = 64;
	const placed = sections.map((section) => {
		at = Math.ceil(at / 8) * 8;
		const offset = at;
		for (const part of section.parts) {
			parts.push({ ...part, at });
			at += part.length;
		}
		return { section, offset, size: at - offset };
	});
	const shstrtabOffset = at;
	parts.push({ at, length: shstrtab.length, bytes: shstrtab, repeat: false });
	at += shstrtab.length;
	const shoff = Math.ceil(at / 8) * 8;
	const count = sections.length + 2;
	const table = new ByteWriter();
	table.raw(new Uint8Array(40));
	placed.forEach(({ section, offset, size }, i) => {
		table
			.u32(nameOffsets[i] as number)
			.u32(section.type)
			.u32(section.flags)
			.u32(section.addr);
		table
			.u32(offset)
			.u32(size)
			.u32(section.link ?? 0)
			.u32(0)
			.u32(1)
			.u32(section.entsize ?? 0);
	});
	table
		.u32(shstrtabName)
		.u32(3)
		.u32(0)
		.u32(0)
		.u32(shstrtabOffset)
		.u32(shstrtab.length)
		.u32(0)
		.u32(0)
		.u32(1)
		.u32(0);
	const tableBytes = table.toBytes();
	parts.push({ at: shoff, length: tableBytes.length, bytes: tableBytes, repeat: false });
	const header = new Uint8Array(52);
	const view = new DataView(header.buffer);
	header.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
	view.setUint16(16, 2, true);
	view.setUint16(18, EM_RISCV, true);
	view.setUint32(20, 1, true);
	view.setUint32(32, shoff, true);
	view.setUint16(40, 52, true);
	view.setUint16(46, 40, true);
	view.setUint16(48, count, true);
	view.setUint16(50, count - 1, true);
	parts.push({ at: 0, length: header.length, bytes: header, repeat: false });
	const size = shoff + tableBytes.length;
	return {
		size,
		description: meta.description,
		async read(offset, length) {
			const out = new Uint8Array(length);
			for (const part of parts) {
				const from = Math.max(offset, part.at);
				const to = Math.min(offset + length, part.at + part.length);
				for (let p = from; p < to; ) {
					const inPart = p - part.at;
					const index = part.repeat ? inPart % part.bytes.length : inPart;
					const n = Math.min(to - p, part.bytes.length - index);
					out.set(part.bytes.subarray(index, index + n), p - offset);
					p += n;
				}
			}
			return out;
		},
		async stream() {
			throw new Error("not used by the index builder");
		},
	};
}

export { concat };
