import type { Arch } from "./chip-memory";
import { type RawException, type TaskRegisters, xtensaCodeAddress } from "./decoded";

/** The marker ESP-IDF writes in the exception frame of the task that crashed. */
export const CURRENT_TASK_MARKER = 0xdeadbeef;

export interface StackFrameRegisters {
	registers: TaskRegisters;
	/** The exception the frame records (only the crashed task's frame holds a meaningful one). */
	exception: RawException | null;
	/** Xtensa: the frame carries ESP-IDF's crashed-task marker. */
	current: boolean;
}

/**
 * Registers of a task from the frame at the top (lowest address) of its saved stack, as the
 * binary (0.x) format leaves them and as ESP-IDF reads them for the ELF one:
 * - Xtensa: an interrupt/exception frame `XtExcFrame` (exit ≠ 0: pc, ps, a0–a15, sar,
 *   exccause, excvaddr, lbeg, lend, lcount) or a solicited frame `XtSolFrame` (exit = 0: pc,
 *   ps, next, a0–a3);
 * - RISC-V: `RvExcFrame` (mepc, x1–x31, mstatus, mtvec, mcause, mtval, mhartid).
 * Null when the stack is too short to hold the frame.
 */
export function registersFromStack(arch: Arch, stack: Uint8Array): StackFrameRegisters | null {
	const view = new DataView(stack.buffer, stack.byteOffset, stack.byteLength);
	const count = stack.length >> 2;
	const word = (i: number) => (i < count ? view.getUint32(4 * i, true) : 0);
	if (arch === "riscv") {
		if (count < 32) return null;
		const gregs = new Uint32Array(32);
		for (let i = 0; i < 32; i++) gregs[i] = word(i);
		const exception: RawException | null =
			count >= 36 ? { arch: "riscv", mcause: word(34), mtval: word(35) } : null;
		return { registers: { arch, gregs }, exception, current: false };
	}
	const gregs = new Uint32Array(128);
	const exit = word(0);
	if (exit !== 0) {
		if (count < 25) return null;
		gregs[0] = word(1);
		// gdb cannot unwind a frame with EXCM set in user mode; ESP-IDF clears it the same way.
		const ps = word(2);
		gregs[1] = ps & (1 << 5) ? ps & ~(1 << 4) : ps;
		for (let i = 0; i < 16; i++) gregs[64 + i] = word(3 + i);
		gregs[5] = word(19);
		gregs[2] = word(22);
		gregs[3] = word(23);
		gregs[4] = word(24);
		const exception: RawException = {
			arch: "xtensa",
			exccause: word(20),
			excvaddr: word(21),
			epc: [],
			eps: [],
		};
		return { registers: { arch, gregs }, exception, current: exit === CURRENT_TASK_MARKER };
	}
	if (count < 8) return null;
	gregs[0] = xtensaCodeAddress(word(1));
	gregs[1] = word(2);
	for (let i = 0; i < 4; i++) gregs[64 + i] = word(4 + i);
	return { registers: { arch, gregs }, exception: null, current: false };
}
