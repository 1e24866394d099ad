import type { CoredumpAnalysis } from "./analysis";
import { xtensaCauseName } from "./exceptions";

/** RISC-V registers gdb types as pointers, printed in hex twice rather than as integers. */
const RISCV_POINTERS = new Set(["ra", "sp", "gp", "tp", "fp", "pc"]);
const XTENSA_EXCEPTION = /^(exccause|excvaddr|epc\d|eps\d)$/;

/**
 * The CURRENT THREAD REGISTERS section as esp-coredump prints it: the Xtensa exception
 * registers first (`exccause 0x1d (StoreProhibitedCause)`), then gdb's `info registers`
 * lines: name, hex value, natural value (signed for integers, `<function+offset>` for the PC).
 */
export function registerLines(analysis: CoredumpAnalysis): string[] {
	const registers = analysis.registers;
	if (!registers) return ["Registers are not available: the crashed task's stack was lost."];
	const riscv = analysis.exception?.arch === "riscv" || "ra" in registers;
	const frame0 = analysis.backtrace[0];
	const pcSymbol =
		frame0?.function && frame0.offset !== null
			? ` <${frame0.function}${frame0.offset ? `+${frame0.offset}` : ""}>`
			: "";
	const lines: string[] = [];
	for (const [name, value] of Object.entries(registers)) {
		const number = Number.parseInt(value, 16);
		if (!riscv && XTENSA_EXCEPTION.test(name)) {
			const cause =
				name === "exccause" ? ` (${xtensaCauseName(number) ?? "Invalid EXCCAUSE code"})` : "";
			lines.push(`${name.padEnd(15)}${value}${cause}`);
			continue;
		}
		const natural =
			name === "pc"
				? `${value}${pcSymbol}`
				: riscv && RISCV_POINTERS.has(name)
					? value
					: String(number | 0);
		lines.push(
			riscv
				? `${name.padEnd(15)}${value}\t${natural}`
				: `${name.padEnd(15)}${value.padEnd(20)}${natural}`,
		);
	}
	return lines;
}
