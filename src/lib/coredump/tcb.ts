import { ascii } from "./notes";

/**
 * What a FreeRTOS TCB (ESP-IDF's `tskTaskControlBlock`) tells without the ELF's type
 * information. The fixed part: pxTopOfStack (0), two list items of 5 words, uxPriority (44),
 * pxStack (48), pcTaskName (52, configMAX_TASK_NAME_LEN bytes, 16 by default). After the name
 * the layout varies by ESP-IDF version and configuration (xCoreID before pxEndOfStack up to
 * 5.x and on dual-core chips), so pxEndOfStack is found as the first word after the name that
 * points just above pxStack; uxBasePriority follows it.
 */
export interface TcbFacts {
	name: string;
	priority: number | null;
	basePriority: number | null;
	topOfStack: number;
	stackBase: number;
	endOfStack: number | null;
}

const NAME_AT = 52;
const DEFAULT_NAME_LENGTH = 16;
const MAX_NAME_LENGTH = 64;
const MAX_STACK = 1 << 20;
const MAX_PRIORITY = 255;

export function readTcb(bytes: Uint8Array): TcbFacts | null {
	if (bytes.length < NAME_AT + DEFAULT_NAME_LENGTH + 4) return null;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const word = (at: number) => view.getUint32(at, true);
	const stackBase = word(48);
	if (stackBase === 0) return null;
	const nameBytes = bytes.subarray(NAME_AT, Math.min(bytes.length, NAME_AT + MAX_NAME_LENGTH));
	const nul = nameBytes.indexOf(0);
	const name = ascii(nameBytes.subarray(0, nul < 0 ? DEFAULT_NAME_LENGTH : nul));
	const priority = word(44);
	let endOfStack: number | null = null;
	let basePriority: number | null = null;
	const from = NAME_AT + Math.max(DEFAULT_NAME_LENGTH, (nul + 4) & ~3);
	for (let at = from; at + 4 <= bytes.length && at <= NAME_AT + MAX_NAME_LENGTH + 8; at += 4) {
		const candidate = word(at);
		if (candidate > stackBase && candidate - stackBase <= MAX_STACK) {
			endOfStack = candidate;
			if (at + 8 <= bytes.length && word(at + 4) <= MAX_PRIORITY) basePriority = word(at + 4);
			break;
		}
	}
	return {
		name,
		priority: priority <= MAX_PRIORITY ? priority : null,
		basePriority,
		topOfStack: word(0),
		stackBase,
		endOfStack,
	};
}

/** Stack use as esp-coredump reports it: |pxEndOfStack − pxTopOfStack| and |pxStack − pxTopOfStack|. */
export function stackUse(tcb: TcbFacts): { used: number; free: number } | null {
	if (tcb.endOfStack === null) return null;
	return {
		used: Math.abs(tcb.endOfStack - tcb.topOfStack),
		free: Math.abs(tcb.stackBase - tcb.topOfStack),
	};
}
