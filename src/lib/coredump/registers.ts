import type { RawException, TaskRegisters } from "./decoded";
import { hex } from "./hex";

/** RISC-V x1–x31 as gdb names them (x8 is `fp`). */
export const RISCV_NAMES = [
	"ra",
	"sp",
	"gp",
	"tp",
	"t0",
	"t1",
	"t2",
	"fp",
	"s1",
	"a0",
	"a1",
	"a2",
	"a3",
	"a4",
	"a5",
	"a6",
	"a7",
	"s2",
	"s3",
	"s4",
	"s5",
	"s6",
	"s7",
	"s8",
	"s9",
	"s10",
	"s11",
	"t3",
	"t4",
	"t5",
	"t6",
];

/** gdb's Xtensa special registers a core file holds, in its `info registers` order. */
const XTENSA_SPECIAL: readonly [name: string, index: number][] = [
	["pc", 0],
	["lbeg", 2],
	["lend", 3],
	["lcount", 4],
	["sar", 5],
	["ps", 1],
];

/**
 * A task's registers named as gdb names them, in `info registers` order. For the crashed
 * Xtensa task the exception registers esp-coredump prints first (exccause, excvaddr, epcN,
 * epsN) lead the list.
 */
export function namedRegisters(
	regs: TaskRegisters,
	exception: RawException | null,
): Record<string, string> {
	const out: Record<string, string> = {};
	const g = regs.gregs;
	if (regs.arch === "riscv") {
		RISCV_NAMES.forEach((name, i) => {
			out[name] = hex(g[i + 1] as number);
		});
		out.pc = hex(g[0] as number);
		return out;
	}
	if (exception?.arch === "xtensa") {
		out.exccause = hex(exception.exccause);
		out.excvaddr = hex(exception.excvaddr);
		exception.epc.forEach((value, i) => {
			out[`epc${i + 1}`] = hex(value);
		});
		exception.eps.forEach((value, i) => {
			out[`eps${i + 2}`] = hex(value);
		});
	}
	for (const [name, index] of XTENSA_SPECIAL) out[name] = hex(g[index] as number);
	for (let i = 0; i < 16; i++) out[`a${i}`] = hex(g[64 + i] as number);
	return out;
}
