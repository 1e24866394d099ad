import { ByteCursor } from "../elf/byte-cursor";
import { elfError, elfInvalid } from "../elf/elf-error";
import { type ElfFile, type ElfSection, sectionNamed } from "../elf/elf-file";
import { RangeReader } from "../elf/range-reader";
import type { ByteSource } from "../zip/byte-source";
import { type AddressReader, canonicalCfa } from "./cfa-instructions";
import { type PointerBases, readEncoded } from "./pointer-encoding";

/** Largest CIE or FDE read. */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

export type FrameSectionName = ".debug_frame" | ".eh_frame";

/** One FDE with what its CIE contributes, its programs rewritten to plain 4-byte addresses. */
export interface FrameEntry {
	pcBegin: number;
	pcEnd: number;
	codeAlign: number;
	dataAlign: number;
	returnAddressRegister: number;
	cieInstructions: Uint8Array;
	fdeInstructions: Uint8Array;
}

interface Cie {
	codeAlign: number;
	dataAlign: number;
	returnAddressRegister: number;
	instructions: Uint8Array;
	/** How the FDE's addresses are encoded (DW_EH_PE_*; absptr in `.debug_frame`). */
	encoding: number;
	hasAugmentationData: boolean;
}

interface Context {
	name: FrameSectionName;
	section: ElfSection;
	bases: { text: number; data: number };
}

/**
 * Reads every FDE of `.debug_frame` or `.eh_frame` (CIE versions 1, 3 and 4; augmentations
 * "", "z", "zR", "zPLR" and the like) front to back and hands each to `onFde`. A CIE this reader
 * cannot use (unknown augmentation or opcode, address size other than 4) makes its FDEs
 * skipped; an entry that runs outside its section, or an FDE whose CIE pointer does not lead to
 * a CIE, refuses the ELF.
 */
export async function readFrameEntries(
	source: ByteSource,
	elf: ElfFile,
	name: FrameSectionName,
	onFde: (entry: FrameEntry) => void,
	limits: { maxEntries: number; chunkBytes: number },
): Promise<void> {
	const section = sectionNamed(elf, name);
	if (!section) return;
	const text = elf.sections.find((s) => s.name === ".text")?.addr ?? 0;
	const data = elf.sections.find((s) => s.name === ".got")?.addr ?? 0;
	const context: Context = { name, section, bases: { text, data } };
	const main = new RangeReader(source, section.offset, section.size, name, limits.chunkBytes);
	const side = new RangeReader(source, section.offset, section.size, name, 64 * 1024);
	const cies = new Map<number, Cie | null>();
	const cieAt = async (offset: number): Promise<Cie | null> => {
		if (cies.has(offset)) return cies.get(offset) ?? null;
		side.seek(offset);
		const entry = await readEntry(side, context);
		if (entry?.kind !== "cie")
			throw elfInvalid("an FDE's CIE pointer leads elsewhere", { section: name });
		cies.set(offset, entry.cie);
		return entry.cie;
	};
	let entries = 0;
	while (main.remaining() > 0) {
		if (++entries > limits.maxEntries) {
			throw elfError("ELF_INDEX_TOO_LARGE", "too many call-frame entries", { section: name });
		}
		const offset = main.pos;
		const entry = await readEntry(main, context);
		if (entry === null) break;
		if (entry.kind === "cie") {
			cies.set(offset, entry.cie);
		} else if (entry.kind === "fde") {
			if (entry.cieOffset < 0 || entry.cieOffset >= section.size) {
				throw elfInvalid("an FDE's CIE pointer is outside its section", { section: name });
			}
			const cie = await cieAt(entry.cieOffset);
			const fde = cie ? finishFde(entry.body, entry.bodyAddress, cie, context) : null;
			if (fde) onFde(fde);
		}
	}
}

type Entry =
	| { kind: "cie"; cie: Cie | null }
	| { kind: "fde"; cieOffset: number; body: ByteCursor; bodyAddress: number }
	| { kind: "padding" };

/** The entry at the reader's position; null at the `.eh_frame` terminator. */
async function readEntry(r: RangeReader, context: Context): Promise<Entry | null> {
	const { name, section } = context;
	await r.fill(12);
	let length = r.u32();
	let idSize = 4;
	if (length === 0) return name === ".eh_frame" ? null : { kind: "padding" };
	if (length === 0xffffffff) {
		length = r.u64();
		idSize = 8;
	}
	if (length > r.remaining())
		throw elfInvalid("a call-frame entry runs past its section", { section: name });
	if (length < idSize) throw elfInvalid("a call-frame entry is too short", { section: name });
	if (length > MAX_ENTRY_BYTES) {
		throw elfError("ELF_INDEX_TOO_LARGE", "a call-frame entry is too large", { section: name });
	}
	const end = r.pos + length;
	await r.fill(length);
	const idPosition = r.pos;
	const id = r.unsigned(idSize);
	const bodyAddress = section.addr + r.pos;
	const body = new ByteCursor(r.bytes(end - r.pos).slice());
	const allOnes = idSize === 4 ? 0xffffffff : 2 ** 64 - 1;
	const isCie = name === ".eh_frame" ? id === 0 : id === allOnes || id === 0xffffffff;
	if (isCie) return { kind: "cie", cie: parseCie(body, bodyAddress, context) };
	const cieOffset = name === ".eh_frame" ? idPosition - id : id;
	return { kind: "fde", cieOffset, body, bodyAddress };
}

function parseCie(c: ByteCursor, address: number, context: Context): Cie | null {
	try {
		const version = c.u8();
		if (version !== 1 && version !== 3 && version !== 4) return null;
		const augmentation = c.cstring();
		let addressSize = 4;
		if (version === 4) {
			addressSize = c.u8();
			if (c.u8() !== 0) return null; // segment selectors
		}
		if (addressSize !== 4) return null;
		if (augmentation.startsWith("eh")) c.skip(addressSize);
		const codeAlign = c.uleb();
		const dataAlign = c.sleb();
		const returnAddressRegister = version === 1 ? c.u8() : c.uleb();
		let encoding = 0;
		const hasAugmentationData = augmentation.startsWith("z");
		if (hasAugmentationData) {
			const length = c.uleb();
			const end = c.pos + length;
			for (const letter of augmentation.slice(1)) {
				if (letter === "R") encoding = c.u8();
				else if (letter === "L") c.u8();
				else if (letter === "P") readEncoded(c, c.u8() & 0x7f, here(c, address, context));
				else if (letter !== "S" && letter !== "B" && letter !== "G") return null;
			}
			c.pos = end;
		} else if (augmentation !== "" && augmentation !== "eh") {
			return null;
		}
		const instructions = canonicalCfa(c, addressReader(encoding, address, context));
		if (!instructions) return null;
		return {
			codeAlign,
			dataAlign,
			returnAddressRegister,
			instructions,
			encoding,
			hasAugmentationData,
		};
	} catch {
		return null;
	}
}

function finishFde(c: ByteCursor, address: number, cie: Cie, context: Context): FrameEntry | null {
	try {
		const bases = (func?: number): PointerBases => ({ ...here(c, address, context), func });
		const pcBegin = readEncoded(c, cie.encoding, bases());
		const range = readEncoded(c, cie.encoding, bases(), true);
		if (pcBegin === null || range === null || range === 0) return null;
		if (cie.hasAugmentationData) c.skip(c.uleb());
		const read: AddressReader = (cursor) => {
			const value = readEncoded(cursor, cie.encoding, bases(pcBegin));
			if (value === null) throw new RangeError("unreadable address");
			return value;
		};
		const fdeInstructions = canonicalCfa(c, read);
		if (!fdeInstructions) return null;
		return {
			pcBegin,
			pcEnd: Math.min(0x100000000, pcBegin + range),
			codeAlign: cie.codeAlign,
			dataAlign: cie.dataAlign,
			returnAddressRegister: cie.returnAddressRegister,
			cieInstructions: cie.instructions,
			fdeInstructions,
		};
	} catch {
		return null;
	}
}

function here(c: ByteCursor, address: number, context?: Context): PointerBases {
	return { here: address + c.pos, text: context?.bases.text ?? 0, data: context?.bases.data ?? 0 };
}

function addressReader(encoding: number, address: number, context: Context): AddressReader {
	return (c) => {
		const value = readEncoded(c, encoding, here(c, address, context));
		if (value === null) throw new RangeError("unreadable address");
		return value;
	};
}
