import type { Arch, ChipMemory } from "./chip-memory";
import type { Memory } from "./memory";

/**
 * A task's registers in gdb's core-file layout (`elf_gregset_t`):
 * - Xtensa: [0] pc, [1] ps, [2] lbeg, [3] lend, [4] lcount, [5] sar, [6] windowstart,
 *   [7] windowbase, [64 + n] an (a0–a15 of the current window)
 * - RISC-V: [0] pc, [n] xn for n = 1…31
 */
export interface TaskRegisters {
	arch: Arch;
	gregs: Uint32Array;
}

/** The exception state of the crash, as the dump records it. */
export type RawException =
	| { arch: "xtensa"; exccause: number; excvaddr: number; epc: number[]; eps: number[] }
	| { arch: "riscv"; mcause: number; mtval: number };

/** One task as the dump holds it, before any unwinding. */
export interface RawTask {
	tcb: number;
	/** The TCB's bytes, null when the dump does not hold them. */
	tcbBytes: Uint8Array | null;
	/** Null when the task's stack was replaced by a fake one (its stack pointer was broken). */
	registers: TaskRegisters | null;
	/** Bounds of the task's dumped stack, null when the dump holds none. */
	stack: { start: number; end: number } | null;
}

/** What a dump says, in either format, before the ELF is looked at. */
export interface DecodedDump {
	format: "elf" | "binary";
	dumpVersion: string | null;
	checksum: "crc32" | "sha256" | null;
	chip: string | null;
	chipRev: number | null;
	arch: Arch;
	memoryMap: ChipMemory;
	elfSha256Prefix: string | null;
	/** The crashed task's TCB; null when the dump says the crashed task was skipped. */
	crashedTcb: number | null;
	inIsr: boolean | null;
	panicReason: string | null;
	exception: RawException | null;
	/** Crashed task first. */
	tasks: RawTask[];
	memory: Memory;
}

/** The PC and SP of a register set. */
export function pcOf(regs: TaskRegisters): number {
	return regs.gregs[0] as number;
}

export function spOf(regs: TaskRegisters): number {
	return (regs.arch === "xtensa" ? regs.gregs[65] : regs.gregs[2]) as number;
}

/** Xtensa return addresses keep the caller's window size in their top two bits. */
export function xtensaCodeAddress(address: number): number {
	return address >= 0x80000000 ? ((address & 0x3fffffff) | 0x40000000) >>> 0 : address;
}
