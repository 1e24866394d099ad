import type { Arch } from "./chip-memory";
import type { RawException } from "./decoded";
import {
	ascii,
	type Note,
	NT_ESP_EXTRA_INFO,
	NT_ESP_INFO,
	NT_ESP_PANIC_DETAILS,
	NT_PRSTATUS,
	readPrstatus,
	utf8,
	words,
} from "./notes";

/** What the notes of an ESP-IDF ELF core say, read note by note. */
export interface CoreNotes {
	threads: { tcb: number; regs: Uint32Array }[];
	/** ESP_CORE_DUMP_INFO: version word (chip << 16 | major << 8 | minor) and ELF SHA prefix. */
	infoVersion: number | null;
	elfSha256Prefix: string | null;
	chipRev: number | null;
	/** ESP_EXTRA_INFO words: crashed TCB, then per-arch registers and the ISR flag. */
	extra: Uint32Array | null;
	panicReason: string | null;
}

export const MAX_TASKS = 1024;
// Note names (backquoted: they are not error codes, which the codes test looks for in quotes).
const INFO = `ESP_CORE_DUMP_INFO`;
const CHIP_REV = `ESP_CHIP_REV`;
const MAX_PANIC_REASON = 1024;

export function readCoreNotes(notes: readonly Note[], arch: Arch): CoreNotes {
	const out: CoreNotes = {
		threads: [],
		infoVersion: null,
		elfSha256Prefix: null,
		chipRev: null,
		extra: null,
		panicReason: null,
	};
	for (const note of notes) {
		if (note.type === NT_PRSTATUS && note.name === "CORE") {
			if (out.threads.length < MAX_TASKS + 1) out.threads.push(readPrstatus(note.desc, arch));
		} else if (note.type === NT_ESP_INFO && note.name === INFO) {
			if (note.desc.length >= 4) {
				out.infoVersion = words(note.desc.subarray(0, 4))[0] as number;
				out.elfSha256Prefix = shaPrefix(ascii(note.desc.subarray(4)));
			}
		} else if (note.type === NT_ESP_INFO && note.name === CHIP_REV) {
			if (note.desc.length >= 4) out.chipRev = words(note.desc.subarray(0, 4))[0] as number;
		} else if (note.type === NT_ESP_EXTRA_INFO) {
			out.extra = words(note.desc);
		} else if (note.type === NT_ESP_PANIC_DETAILS) {
			const text = utf8(note.desc.subarray(0, MAX_PANIC_REASON)).trim();
			out.panicReason = text.length > 0 ? text : null;
		}
	}
	return out;
}

function shaPrefix(text: string): string | null {
	return /^[0-9a-fA-F]{8,64}$/.test(text) ? text.toLowerCase() : null;
}

const XTENSA_ISR_FLAG = 37;
const RISCV_ISR_FLAG = 1;
const EPC1 = 177;
const EPS2 = 194;

/** The ISR flag ESP-IDF 5.x+ appends to the extra info; null when the dump is older. */
export function inIsrFrom(extra: Uint32Array | null, arch: Arch): boolean | null {
	const at = arch === "xtensa" ? XTENSA_ISR_FLAG : RISCV_ISR_FLAG;
	return extra && extra.length > at ? extra[at] !== 0 : null;
}

/**
 * Xtensa exception registers from the extra info (`xtensa_extra_info_t`): crashed TCB,
 * (EXCCAUSE, value), (EXCVADDR, value), then up to 16 (special register number, value) pairs
 * holding EPC1–EPC7 (177–183) and EPS2–EPS7 (194–199), unused pairs zero.
 */
export function xtensaExceptionFrom(extra: Uint32Array): RawException | null {
	if (extra.length < 5) return null;
	const epc: number[] = [];
	const eps: number[] = [];
	for (let i = 5; i + 1 < Math.min(extra.length, XTENSA_ISR_FLAG); i += 2) {
		const id = extra[i] as number;
		const value = extra[i + 1] as number;
		if (id >= EPC1 && id <= EPC1 + 6) epc[id - EPC1] = value;
		else if (id >= EPS2 && id <= EPS2 + 5) eps[id - EPS2] = value;
	}
	return {
		arch: "xtensa",
		exccause: extra[2] as number,
		excvaddr: extra[4] as number,
		epc: dense(epc),
		eps: dense(eps),
	};
}

/** Registers the dump did not hold read as 0, as esp-coredump prints them. */
function dense(values: number[]): number[] {
	return Array.from({ length: values.length }, (_, i) => values[i] ?? 0);
}
