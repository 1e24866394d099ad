import type { Arch } from "./chip-memory";
import { corrupt, type DumpError, truncated, unknownFormat } from "./dump-error";

/** The parts of an ELF core file (32-bit, little-endian, e_type ET_CORE) a decoder reads. */
export interface ElfCore {
	arch: Arch;
	/** PT_LOAD segments in program header order: target memory. */
	loads: { index: number; start: number; bytes: Uint8Array }[];
	/** PT_NOTE segments' contents. */
	notes: Uint8Array[];
}

const EM_XTENSA = 0x5e;
const EM_RISCV = 0xf3;
const PT_LOAD = 1;
const PT_NOTE = 4;
const MAX_SEGMENTS = 4096;

export function isElf(bytes: Uint8Array): boolean {
	return bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * Parses an ELF core. `bare` says the bytes came without a checksum: an offset past their end
 * then means the file was cut short (DUMP_TRUNCATED); inside a verified image it means the
 * writer put wrong numbers in (DUMP_CORRUPT).
 */
export function parseElfCore(bytes: Uint8Array, bare: boolean): ElfCore {
	const outside = (what: string): DumpError =>
		bare
			? truncated(`${what} lies past the end of the file`)
			: corrupt(`${what} lies outside the ELF`);
	if (bytes.length < 52)
		throw bare ? truncated("the ELF header is cut short") : corrupt("no ELF header");
	if (!isElf(bytes)) throw corrupt("the ELF magic is missing");
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (bytes[4] !== 1 || bytes[5] !== 1) throw unknownFormat("not a 32-bit little-endian ELF");
	if (view.getUint16(16, true) !== 4) throw unknownFormat("an ELF file, but not a core file");
	const machine = view.getUint16(18, true);
	const arch = machine === EM_XTENSA ? "xtensa" : machine === EM_RISCV ? "riscv" : null;
	if (!arch) throw unknownFormat(`ELF machine ${machine} is neither Xtensa nor RISC-V`);
	const phoff = view.getUint32(28, true);
	const phentsize = view.getUint16(42, true);
	const phnum = view.getUint16(44, true);
	if (phnum === 0) throw corrupt("the ELF core has no program headers");
	if (phentsize < 32 || phnum > MAX_SEGMENTS) throw corrupt("implausible program header table");
	if (phoff + phnum * phentsize > bytes.length) throw outside("the program header table");
	const loads: ElfCore["loads"] = [];
	const notes: Uint8Array[] = [];
	for (let i = 0; i < phnum; i++) {
		const at = phoff + i * phentsize;
		const type = view.getUint32(at, true);
		const offset = view.getUint32(at + 4, true);
		const vaddr = view.getUint32(at + 8, true);
		const size = view.getUint32(at + 16, true);
		if (type !== PT_LOAD && type !== PT_NOTE) continue;
		if (offset + size > bytes.length) throw outside(`segment ${i}`);
		const data = bytes.subarray(offset, offset + size);
		if (type === PT_NOTE) notes.push(data);
		else if (size > 0) loads.push({ index: i, start: vaddr, bytes: data });
	}
	return { arch, loads, notes };
}
