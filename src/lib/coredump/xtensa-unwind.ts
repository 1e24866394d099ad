import type { CodeMap } from "./code-map";
import type { TaskRegisters } from "./decoded";
import type { Memory } from "./memory";
import { MAX_FRAMES, type RawFrame } from "./raw-frame";

/** Every Xtensa chip runs code from 0x40000000–0x7fffffff: return addresses get 0b01 on top. */
const CODE_REGION = 0x40000000;

/**
 * The Xtensa windowed-ABI backtrace, as gdb and ESP-IDF's esp_backtrace walk it; it needs no
 * ELF. A frame's a0 holds its return address (the caller's PC, with the caller's window size
 * in the top two bits, replaced by the code region's 0b01); the caller's own a0 and a1 (its
 * return address and SP) are spilled in the base save area, the 4 words below the callee's SP
 * (a0 at SP − 16, a1 at SP − 12). The walk stops at a zero return address (the end of a
 * task's chain), at a return address outside code, at a caller SP that does not grow, at a
 * save area the dump does not hold, at a repeated (PC, SP) and after MAX_FRAMES frames.
 */
export async function unwindXtensa(
	regs: TaskRegisters,
	memory: Memory,
	code: CodeMap,
): Promise<RawFrame[]> {
	let pc = regs.gregs[0] as number;
	let sp = regs.gregs[65] as number;
	let returnAddress = regs.gregs[64] as number;
	const frames: RawFrame[] = [{ pc, kind: code.isRom(pc) ? "rom" : "app", caller: false }];
	const seen = new Set<string>([`${pc}/${sp}`]);
	while (frames.length < MAX_FRAMES && returnAddress !== 0) {
		const callerPc = ((returnAddress & 0x3fffffff) | CODE_REGION) >>> 0;
		if (!(await code.isCode(callerPc - 1))) break;
		frames.push({ pc: callerPc, kind: code.isRom(callerPc) ? "rom" : "app", caller: true });
		const nextReturn = memory.readU32(sp - 16);
		const callerSp = memory.readU32(sp - 12);
		if (nextReturn === null || callerSp === null || callerSp <= sp) break;
		const key = `${callerPc}/${callerSp}`;
		if (seen.has(key)) break;
		seen.add(key);
		pc = callerPc;
		sp = callerSp;
		returnAddress = nextReturn;
	}
	return frames;
}
