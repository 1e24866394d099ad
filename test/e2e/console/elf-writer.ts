/*
 * Writes the small ELF of crash-fixture.ts: executable sections (zero-filled), a symbol table
 * of FUNC symbols, and a DWARF 3 `.debug_line` with one sequence per listed function.
 */

export interface ElfSymbol {
	name: string;
	value: number;
	size: number;
	global: boolean;
}
export interface CodeSection {
	name: string;
	addr: number;
	size: number;
}

/** One DWARF 3 line sequence per function of `lines`: its whole range on that file and line. */
export function debugLine(
	symbols: ElfSymbol[],
	lines: Record<string, [string, number]>,
): Uint8Array {
	const files = [...new Set(Object.values(lines).map(([f]) => f))];
	const dirs = [...new Set(files.map((f) => f.slice(0, f.lastIndexOf("/"))))];
	const header = new Bytes();
	header
		.u8(1)
		.u8(1)
		.u8(-5 & 0xff)
		.u8(14)
		.u8(13);
	for (const n of [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]) header.u8(n);
	for (const d of dirs) header.str(d);
	header.u8(0);
	for (const f of files) {
		header
			.str(f.slice(f.lastIndexOf("/") + 1))
			.uleb(dirs.indexOf(f.slice(0, f.lastIndexOf("/"))) + 1);
		header.uleb(0).uleb(0);
	}
	header.u8(0);
	const program = new Bytes();
	for (const [name, [file, line]] of Object.entries(lines)) {
		const sym = symbols.find((s) => s.name === name);
		if (!sym) continue;
		program.u8(0).uleb(5).u8(2).u32(sym.value); // DW_LNE_set_address
		program.u8(4).uleb(files.indexOf(file) + 1); // DW_LNS_set_file
		program.u8(3).sleb(line - 1); // DW_LNS_advance_line
		program.u8(1); // DW_LNS_copy
		program.u8(2).uleb(sym.size); // DW_LNS_advance_pc
		program.u8(0).uleb(1).u8(1); // DW_LNE_end_sequence
	}
	const unit = new Bytes();
	unit.u16(3).u32(header.length).bytes(header.done()).bytes(program.done());
	return new Bytes().u32(unit.length).bytes(unit.done()).done();
}

const SHT = { PROGBITS: 1, SYMTAB: 2, STRTAB: 3 };

export function writeElf(code: CodeSection[], symbols: ElfSymbol[], lines: Uint8Array): Uint8Array {
	const names = new StringTable();
	const strtab = new StringTable();
	type Section = {
		name: number;
		type: number;
		flags: number;
		addr: number;
		data: Uint8Array;
		link?: number;
		info?: number;
		entsize?: number;
	};
	const sections: Section[] = code.map((s) => ({
		name: names.add(s.name),
		type: SHT.PROGBITS,
		flags: 6,
		addr: s.addr,
		data: new Uint8Array(s.size),
	}));
	const symtab = new Bytes().bytes(new Uint8Array(16));
	for (const s of [...symbols].sort((a, b) => Number(a.global) - Number(b.global))) {
		const index = code.findIndex((c) => s.value >= c.addr && s.value < c.addr + c.size);
		symtab.u32(strtab.add(s.name)).u32(s.value).u32(s.size);
		symtab
			.u8(((s.global ? 1 : 0) << 4) | 2)
			.u8(0)
			.u16(index >= 0 ? index + 1 : 0xfff1);
	}
	const firstGlobal = 1 + symbols.filter((s) => !s.global).length;
	const symtabIndex = sections.length + 1;
	sections.push({
		name: names.add(".symtab"),
		type: SHT.SYMTAB,
		flags: 0,
		addr: 0,
		data: symtab.done(),
		link: symtabIndex + 1,
		info: firstGlobal,
		entsize: 16,
	});
	sections.push({
		name: names.add(".strtab"),
		type: SHT.STRTAB,
		flags: 0,
		addr: 0,
		data: strtab.done(),
	});
	sections.push({
		name: names.add(".debug_line"),
		type: SHT.PROGBITS,
		flags: 0,
		addr: 0,
		data: lines,
	});
	const shstrndx = sections.length + 1;
	sections.push({
		name: names.add(".shstrtab"),
		type: SHT.STRTAB,
		flags: 0,
		addr: 0,
		data: names.done(),
	});

	const out = new Bytes();
	out.bytes(new Uint8Array(52));
	const offsets = sections.map((s) => {
		out.align(4);
		const at = out.length;
		out.bytes(s.data);
		return at;
	});
	out.align(4);
	const shoff = out.length;
	out.bytes(new Uint8Array(40));
	sections.forEach((s, i) => {
		out
			.u32(s.name)
			.u32(s.type)
			.u32(s.flags)
			.u32(s.addr)
			.u32(offsets[i] ?? 0)
			.u32(s.data.length);
		out
			.u32(s.link ?? 0)
			.u32(s.info ?? 0)
			.u32(4)
			.u32(s.entsize ?? 0);
	});
	const elf = out.done();
	const head = new Bytes();
	head.bytes(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	head.u16(2).u16(94).u32(1).u32(0x40080404).u32(0).u32(shoff).u32(0x300);
	head
		.u16(52)
		.u16(32)
		.u16(0)
		.u16(40)
		.u16(sections.length + 1)
		.u16(shstrndx);
	elf.set(head.done(), 0);
	return elf;
}

class Bytes {
	private parts: number[] = [];
	get length() {
		return this.parts.length;
	}
	u8(n: number) {
		this.parts.push(n & 0xff);
		return this;
	}
	u16(n: number) {
		return this.u8(n).u8(n >>> 8);
	}
	u32(n: number) {
		return this.u16(n & 0xffff).u16(n >>> 16);
	}
	uleb(n: number) {
		do {
			const byte = n & 0x7f;
			n = Math.floor(n / 128);
			this.u8(n > 0 ? byte | 0x80 : byte);
		} while (n > 0);
		return this;
	}
	sleb(n: number) {
		for (;;) {
			const byte = n & 0x7f;
			n >>= 7;
			const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
			this.u8(done ? byte : byte | 0x80);
			if (done) return this;
		}
	}
	str(s: string) {
		for (const b of new TextEncoder().encode(s)) this.u8(b);
		return this.u8(0);
	}
	bytes(b: Uint8Array) {
		for (const x of b) this.parts.push(x);
		return this;
	}
	align(n: number) {
		while (this.parts.length % n) this.parts.push(0);
		return this;
	}
	done() {
		return Uint8Array.from(this.parts);
	}
}

class StringTable {
	private bytes = new Bytes().u8(0);
	add(s: string): number {
		const at = this.bytes.length;
		this.bytes.str(s);
		return at;
	}
	done() {
		return this.bytes.done();
	}
}
