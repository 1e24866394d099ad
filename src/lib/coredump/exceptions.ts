import type { CrashException } from "./analysis";
import type { RawException } from "./decoded";
import { hex } from "./hex";

/**
 * Xtensa EXCCAUSE values (Xtensa ISA reference, table 4-64) as gdb and esp-coredump name them,
 * and ESP-IDF's pseudo causes from 64 on. The API name drops the "Cause" suffix.
 */
const XTENSA_CAUSES = new Map<number, string>([
	[0, "IllegalInstructionCause"],
	[1, "SyscallCause"],
	[2, "InstructionFetchErrorCause"],
	[3, "LoadStoreErrorCause"],
	[4, "Level1InterruptCause"],
	[5, "AllocaCause"],
	[6, "IntegerDivideByZeroCause"],
	[8, "PrivilegedCause"],
	[9, "LoadStoreAlignmentCause"],
	[12, "InstrPIFDataErrorCause"],
	[13, "LoadStorePIFDataErrorCause"],
	[14, "InstrPIFAddrErrorCause"],
	[15, "LoadStorePIFAddrErrorCause"],
	[16, "InstTLBMissCause"],
	[17, "InstTLBMultiHitCause"],
	[18, "InstFetchPrivilegeCause"],
	[20, "InstFetchProhibitedCause"],
	[24, "LoadStoreTLBMissCause"],
	[25, "LoadStoreTLBMultiHitCause"],
	[26, "LoadStorePrivilegeCause"],
	[28, "LoadProhibitedCause"],
	[29, "StoreProhibitedCause"],
	[32, "Coprocessor0Disabled"],
	[33, "Coprocessor1Disabled"],
	[34, "Coprocessor2Disabled"],
	[35, "Coprocessor3Disabled"],
	[36, "Coprocessor4Disabled"],
	[37, "Coprocessor5Disabled"],
	[38, "Coprocessor6Disabled"],
	[39, "Coprocessor7Disabled"],
	[64, "UnknownException"],
	[65, "DebugException"],
	[66, "DoubleException"],
	[67, "KernelException"],
	[68, "CoprocessorException"],
	[69, "InterruptWDTTimoutCPU0"],
	[70, "InterruptWDTTimoutCPU1"],
	[71, "CacheError"],
]);

/** RISC-V mcause exception codes (privileged spec, table 3.6), as ESP-IDF's panic prints them. */
const RISCV_CAUSES = [
	"Instruction address misaligned",
	"Instruction access fault",
	"Illegal instruction",
	"Breakpoint",
	"Load address misaligned",
	"Load access fault",
	"Store address misaligned",
	"Store access fault",
	"Environment call from U-mode",
	"Environment call from S-mode",
	null,
	"Environment call from M-mode",
	"Instruction page fault",
	"Load page fault",
	null,
	"Store page fault",
];

/** gdb's name of an EXCCAUSE (e.g. "StoreProhibitedCause"), null for unknown values. */
export function xtensaCauseName(cause: number): string | null {
	return XTENSA_CAUSES.get(cause) ?? null;
}

export function crashException(raw: RawException | null): CrashException | null {
	if (!raw) return null;
	if (raw.arch === "xtensa") {
		if (raw.exccause === 0xffff) return null;
		const name =
			xtensaCauseName(raw.exccause)?.replace(/Cause$/, "") ?? `Exception ${raw.exccause}`;
		return {
			arch: "xtensa",
			cause: raw.exccause,
			name,
			address: hex(raw.excvaddr),
			epc: raw.epc.map(hex),
		};
	}
	const interrupt = raw.mcause >= 0x80000000;
	const code = raw.mcause & 0x7fffffff;
	const name = interrupt ? `Interrupt ${code}` : (RISCV_CAUSES[code] ?? `Exception ${code}`);
	return { arch: "riscv", cause: raw.mcause, name, address: hex(raw.mtval) };
}
