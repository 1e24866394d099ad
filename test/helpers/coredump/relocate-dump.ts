import { CHECKSUM_SIZE, readHeader } from "../../../src/lib/coredump/header";
import { NT_ESP_INFO, NT_ESP_PANIC_DETAILS, readNotes } from "../../../src/lib/coredump/notes";
import { crc32 } from "../../../src/lib/crc32";

export interface Relocation {
	/** The app code that moved, [start, end), at its old addresses. */
	start: number;
	end: number;
	/** How far it moved. */
	delta: number;
	/** Xtensa: return addresses carry the caller's window size in their top two bits. */
	xtensa: boolean;
	/** The new build's ELF SHA-256 (hex); the dump keeps as many characters as it held. */
	elfSha256?: string;
}

const PT_LOAD = 1;
const PT_NOTE = 4;
const INFO = "ESP_CORE_DUMP_INFO";

/**
 * The dump the same crash would have left in a relinked build of the same code, made from a
 * real ELF-format dump (raw partition image). Why this is faithful: a relink that moves the
 * app's flash code by `delta` (and changes nothing else) leaves every task in the same state,
 * so RAM holds the same bytes except the words that point into the moved code — PCs and return
 * addresses in the registers of the notes, return addresses and code pointers spilled on the
 * stacks and in TCBs — and those are exactly `delta` further on. On Xtensa a windowed call puts
 * the window size in the top two bits of the return address (a0 = 0x800d…, not 0x400d…), so
 * the word is matched and moved by its low 30 bits and keeps those bits. The panic text names
 * the caller's PC in hex, which moves too; the ESP_CORE_DUMP_INFO note names the new ELF; and
 * the image's checksum (CRC-32 or SHA-256, as its header says) is computed again.
 */
export async function relocateDump(image: Uint8Array, r: Relocation): Promise<Uint8Array> {
	const out = image.slice();
	const header = readHeader(out);
	if (header?.format !== "elf") throw new Error("not an ELF-format core dump image");
	const checksumSize = CHECKSUM_SIZE[header.checksum];
	const covered = header.dataLength - checksumSize;
	const elf = out.subarray(header.headerSize, covered);
	const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
	const phoff = view.getUint32(28, true);
	const phentsize = view.getUint16(42, true);
	const phnum = view.getUint16(44, true);
	for (let i = 0; i < phnum; i++) {
		const at = phoff + i * phentsize;
		const type = view.getUint32(at, true);
		const offset = view.getUint32(at + 4, true);
		const segment = elf.subarray(offset, offset + view.getUint32(at + 16, true));
		if (type === PT_LOAD) {
			moveWords(segment, r);
			moveHexText(segment, r);
		} else if (type === PT_NOTE) {
			for (const note of readNotes(segment)) {
				if (note.type === NT_ESP_INFO && note.name === INFO) {
					if (r.elfSha256) setElfSha(note.desc, r.elfSha256);
				} else if (note.type === NT_ESP_PANIC_DETAILS) moveHexText(note.desc, r);
				else moveWords(note.desc, r);
			}
		}
	}
	const sum = out.subarray(covered, header.dataLength);
	if (header.checksum === "crc32") {
		new DataView(sum.buffer, sum.byteOffset, 4).setUint32(0, crc32(out.subarray(0, covered)), true);
	} else {
		sum.set(new Uint8Array(await crypto.subtle.digest("SHA-256", out.subarray(0, covered))));
	}
	return out;
}

/** The new place of a word that points into the moved code (or of a code return address), else null. */
export function movedWord(word: number, r: Relocation): number | null {
	if (!r.xtensa) return word >= r.start && word < r.end ? (word + r.delta) >>> 0 : null;
	const top = word & 0xc0000000;
	if (top === 0) return null;
	const address = ((word & 0x3fffffff) | 0x40000000) >>> 0;
	if (address < r.start || address >= r.end) return null;
	return (top | ((address + r.delta) & 0x3fffffff)) >>> 0;
}

function moveWords(bytes: Uint8Array, r: Relocation): void {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	for (let at = 0; at + 4 <= bytes.length; at += 4) {
		const moved = movedWord(view.getUint32(at, true), r);
		if (moved !== null) view.setUint32(at, moved, true);
	}
}

/** `0x` and eight hex digits naming an address in the moved code, rewritten in place. */
function moveHexText(bytes: Uint8Array, r: Relocation): void {
	const text = String.fromCharCode(...bytes);
	for (const m of text.matchAll(/0x([0-9a-f]{8})/g)) {
		const address = Number.parseInt(m[1] as string, 16);
		if (address < r.start || address >= r.end) continue;
		const hex = (address + r.delta).toString(16).padStart(8, "0");
		for (let i = 0; i < 8; i++) bytes[(m.index as number) + 2 + i] = hex.charCodeAt(i);
	}
}

function setElfSha(desc: Uint8Array, sha: string): void {
	const end = desc.indexOf(0, 4);
	const length = (end < 0 ? desc.length : end) - 4;
	for (let i = 0; i < length; i++) desc[4 + i] = sha.charCodeAt(i);
}

/** The image as a device prints it over UART: base64 lines of the same sizes as `like`'s. */
export function uartLines(image: Uint8Array, like: string): string {
	const sizes = like
		.split("\n")
		.map((line) => line.trim())
		.filter(Boolean)
		.map((line) => atob(line).length);
	const lines: string[] = [];
	let at = 0;
	for (const size of sizes) {
		lines.push(btoa(String.fromCharCode(...image.subarray(at, at + size))));
		at += size;
	}
	if (at !== image.length)
		throw new Error("the image is not the size of the dump it was made from");
	return `${lines.join("\n")}\n`;
}
