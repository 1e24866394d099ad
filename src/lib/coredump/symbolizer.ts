/**
 * What the crash decoder needs to know of the firmware's ELF, and nothing more. The ELF index
 * (src/lib/elf-index) implements it from an index built once per ELF; tests implement it from
 * fixtures. Methods are async because an index larger than memory is read by pages on demand.
 * Addresses are unsigned 32-bit numbers.
 */
export interface Symbolizer {
	/**
	 * The function symbol covering `address`: a FUNC symbol whose [value, value + size) holds it,
	 * else a NOTYPE one; null when none does. `address` is the symbol's value.
	 */
	functionAt(address: number): Promise<{ name: string; address: number } | null>;
	/** The `.debug_line` row covering `address` (file as gdb prints it, line); null if none. */
	lineAt(address: number): Promise<{ file: string; line: number } | null>;
	/** True when `address` lies in an executable (SHF_EXECINSTR) section of the ELF. */
	isCode(address: number): Promise<boolean>;
	/**
	 * True when the instruction that ends at `address` is a call that links (RISC-V `jal`/`jalr`
	 * writing ra, `c.jal`, `c.jalr`; Xtensa `call0/4/8/12`, `callx0/4/8/12`): `address` is then a
	 * plausible return address for a stack scan.
	 */
	followsCall(address: number): Promise<boolean>;
	/** The call-frame rule at `pc` from `.debug_frame`, else `.eh_frame`; null when no FDE covers it. */
	unwindAt(pc: number): Promise<UnwindRow | null>;
}

/** How to recover one register of the caller (DWARF CFI register rules we support). */
export type RegisterRule =
	| { kind: "undefined" }
	| { kind: "same" }
	/** Saved at CFA + offset. */
	| { kind: "offset"; offset: number }
	/** The value is CFA + offset. */
	| { kind: "val_offset"; offset: number }
	/** Held in another register. */
	| { kind: "register"; register: number };

/** One row of the CFI table: the CFA and the caller's registers at a PC. */
export interface UnwindRow {
	/** CFA = register + offset; null when the FDE describes it with an expression. */
	cfa: { register: number; offset: number } | null;
	/** Rules for registers the row names; a register not listed keeps its value ("same"). */
	rules: ReadonlyMap<number, RegisterRule>;
	/** The CIE's return address column (RISC-V: 1, ra). */
	returnAddressRegister: number;
}
