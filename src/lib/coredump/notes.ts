import type { Arch } from "./chip-memory";
import { corrupt } from "./dump-error";

/** One ELF note: name (without its NUL), type and description bytes. */
export interface Note {
	name: string;
	type: number;
	desc: Uint8Array;
}

export const NT_PRSTATUS = 1;
export const NT_ESP_INFO = 8266;
export const NT_ESP_EXTRA_INFO = 677;
export const NT_ESP_TASK_INFO = 678;
export const NT_ESP_PANIC_DETAILS = 679;

const MAX_NAME = 256;

/**
 * The notes of one PT_NOTE segment. Name and description are each padded to 4 bytes; the name
 * size counts the NUL (ESP-IDF writes 5 for "CORE", 19 for "ESP_CORE_DUMP_INFO" since 6.0, and
 * the rounded-up size before). Trailing bytes too short for a note header are ignored.
 */
export function readNotes(segment: Uint8Array): Note[] {
	const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
	const notes: Note[] = [];
	let at = 0;
	while (at + 12 <= segment.length) {
		const nameSize = view.getUint32(at, true);
		const descSize = view.getUint32(at + 4, true);
		const type = view.getUint32(at + 8, true);
		if (nameSize > MAX_NAME) throw corrupt("a note name is implausibly long");
		const nameAt = at + 12;
		const descAt = nameAt + align4(nameSize);
		if (descAt > segment.length || descSize > segment.length - descAt) {
			throw corrupt("a note runs past its segment");
		}
		notes.push({
			name: ascii(segment.subarray(nameAt, nameAt + nameSize)),
			type,
			desc: segment.subarray(descAt, descAt + descSize),
		});
		at = descAt + align4(descSize);
	}
	return notes;
}

/** NT_PRSTATUS: the task (its TCB address in pr_pid) and its registers in gdb's layout. */
export function readPrstatus(desc: Uint8Array, arch: Arch): { tcb: number; regs: Uint32Array } {
	const words = arch === "xtensa" ? 128 : 32;
	if (desc.length < 72 + 4 * (arch === "xtensa" ? 80 : 32)) {
		throw corrupt("a PRSTATUS note is too short for its registers");
	}
	const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
	const count = Math.min(words, (desc.length - 72) >> 2);
	const regs = new Uint32Array(words);
	for (let i = 0; i < count; i++) regs[i] = view.getUint32(72 + 4 * i, true);
	return { tcb: view.getUint32(24, true), regs };
}

/** The 32-bit words of a description (a trailing partial word is dropped). */
export function words(desc: Uint8Array): Uint32Array {
	const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
	const out = new Uint32Array(desc.length >> 2);
	for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
	return out;
}

/** Text up to the first NUL, printable ASCII only (anything else becomes '?'). */
export function ascii(bytes: Uint8Array): string {
	let out = "";
	for (const b of bytes) {
		if (b === 0) break;
		out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "?";
	}
	return out;
}

/** UTF-8 text up to the first NUL. */
export function utf8(bytes: Uint8Array): string {
	const end = bytes.indexOf(0);
	return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function align4(n: number): number {
	return (n + 3) & ~3;
}
