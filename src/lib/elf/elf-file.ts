import type { ByteSource } from "../zip/byte-source";
import { elfError, elfInvalid } from "./elf-error";

export const EM_XTENSA = 94;
export const EM_RISCV = 243;

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_COMPRESSED = 0x800;

const HEADER_SIZE = 52;
const SECTION_HEADER_SIZE = 40;
const ET_EXEC = 2;
/** More sections than any linker writes for a firmware; refused before the table is read. */
const MAX_SECTIONS = 65536;
const MAX_SECTION_NAMES_BYTES = 1024 * 1024;

export interface ElfSection {
	index: number;
	name: string;
	type: number;
	flags: number;
	addr: number;
	/** File offset of the contents (meaningless for SHT_NOBITS). */
	offset: number;
	size: number;
	link: number;
	info: number;
	entsize: number;
}

export interface ElfFile {
	machine: typeof EM_XTENSA | typeof EM_RISCV;
	sections: ElfSection[];
}

/**
 * Reads the ELF header and section table (two or three small reads) and checks that every
 * section with contents lies inside the file. Only what a crash decoder can use is accepted:
 * ELF32, little-endian, an executable for Xtensa or RISC-V.
 */
export async function readElfFile(source: ByteSource): Promise<ElfFile> {
	if (source.size < HEADER_SIZE) throw elfInvalid("shorter than an ELF header");
	const header = new DataView((await source.read(0, HEADER_SIZE)).slice().buffer);
	if (header.getUint32(0, false) !== 0x7f454c46) throw elfInvalid("no ELF magic");
	const elfClass = header.getUint8(4);
	const data = header.getUint8(5);
	if (elfClass !== 1) throw elfError("ELF_UNSUPPORTED", "not a 32-bit ELF", { class: elfClass });
	if (data !== 1) throw elfError("ELF_UNSUPPORTED", "not little-endian", { data });
	if (header.getUint8(6) !== 1) throw elfInvalid("unknown ELF version");
	const type = header.getUint16(16, true);
	if (type !== ET_EXEC) throw elfError("ELF_UNSUPPORTED", "not an executable", { type });
	const machine = header.getUint16(18, true);
	if (machine !== EM_XTENSA && machine !== EM_RISCV) {
		throw elfError("ELF_UNSUPPORTED", "neither Xtensa nor RISC-V", { machine });
	}
	const sections = await readSections(source, header);
	return { machine, sections };
}

async function readSections(source: ByteSource, header: DataView): Promise<ElfSection[]> {
	const shoff = header.getUint32(32, true);
	const shentsize = header.getUint16(46, true);
	let count = header.getUint16(48, true);
	let namesIndex = header.getUint16(50, true);
	if (shoff === 0) return [];
	if (shentsize !== SECTION_HEADER_SIZE) throw elfInvalid("unexpected section header size");
	if (shoff + SECTION_HEADER_SIZE > source.size) throw elfInvalid("section table outside the file");
	if (count === 0 || namesIndex === 0xffff) {
		// Extended numbering: the real values live in section 0.
		const first = new DataView((await source.read(shoff, SECTION_HEADER_SIZE)).slice().buffer);
		if (count === 0) count = first.getUint32(20, true);
		if (namesIndex === 0xffff) namesIndex = first.getUint32(24, true);
	}
	if (count > MAX_SECTIONS) throw elfInvalid("absurd section count", { count });
	if (shoff + count * SECTION_HEADER_SIZE > source.size) {
		throw elfInvalid("section table outside the file", { count });
	}
	const table = await source.read(shoff, count * SECTION_HEADER_SIZE);
	const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
	const raw = Array.from({ length: count }, (_, index) => parseHeader(view, index));
	for (const section of raw) checkContents(section, source.size);
	const names = raw[namesIndex];
	if (!names || names.type !== SHT_STRTAB) throw elfInvalid("no section name table");
	if (names.size > MAX_SECTION_NAMES_BYTES) throw elfInvalid("section name table too large");
	const strings = await source.read(names.offset, names.size);
	for (const section of raw) section.name = sectionName(strings, section.nameOffset);
	return raw.map(({ nameOffset: _, ...section }) => section);
}

type RawSection = ElfSection & { nameOffset: number };

function parseHeader(view: DataView, index: number): RawSection {
	const at = index * SECTION_HEADER_SIZE;
	const u32 = (field: number) => view.getUint32(at + field * 4, true);
	return {
		index,
		name: "",
		nameOffset: u32(0),
		type: u32(1),
		flags: u32(2),
		addr: u32(3),
		offset: u32(4),
		size: u32(5),
		link: u32(6),
		info: u32(7),
		entsize: u32(9),
	};
}

function checkContents(section: RawSection, fileSize: number): void {
	if (section.flags & SHF_ALLOC && section.addr + section.size > 0x100000000) {
		throw elfInvalid("a section runs past the end of the address space", {
			section_index: section.index,
		});
	}
	if (section.type === SHT_NOBITS || section.type === 0 || section.size === 0) return;
	if (section.offset + section.size > fileSize) {
		throw elfInvalid("a section lies outside the file", { section_index: section.index });
	}
}

function sectionName(strings: Uint8Array, offset: number): string {
	if (offset >= strings.length) throw elfInvalid("a section name lies outside the name table");
	const end = strings.indexOf(0, offset);
	if (end < 0) throw elfInvalid("a section name is not terminated");
	return new TextDecoder().decode(strings.subarray(offset, end));
}

/** The first section of that name with contents in the file, if any. */
export function sectionNamed(elf: ElfFile, name: string): ElfSection | undefined {
	const section = elf.sections.find((s) => s.name === name && s.type !== SHT_NOBITS);
	if (section && section.flags & SHF_COMPRESSED) {
		throw elfError("ELF_UNSUPPORTED", "compressed sections", { section: name });
	}
	return section;
}

/** Allocated, executable sections: where code lives. */
export function codeSections(elf: ElfFile): ElfSection[] {
	const wanted = SHF_ALLOC | SHF_EXECINSTR;
	return elf.sections
		.filter((s) => (s.flags & wanted) === wanted && s.size > 0)
		.sort((a, b) => a.addr - b.addr);
}
