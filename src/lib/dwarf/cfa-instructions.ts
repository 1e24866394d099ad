import type { ByteCursor } from "../elf/byte-cursor";

/** DW_CFA opcodes (the three primary ones carry an operand in their low 6 bits). */
export const OP = {
	advanceLoc: 0x40,
	offset: 0x80,
	restore: 0xc0,
	nop: 0x00,
	setLoc: 0x01,
	advanceLoc1: 0x02,
	advanceLoc2: 0x03,
	advanceLoc4: 0x04,
	offsetExtended: 0x05,
	restoreExtended: 0x06,
	undefined: 0x07,
	sameValue: 0x08,
	register: 0x09,
	rememberState: 0x0a,
	restoreState: 0x0b,
	defCfa: 0x0c,
	defCfaRegister: 0x0d,
	defCfaOffset: 0x0e,
	defCfaExpression: 0x0f,
	expression: 0x10,
	offsetExtendedSf: 0x11,
	defCfaSf: 0x12,
	defCfaOffsetSf: 0x13,
	valOffset: 0x14,
	valOffsetSf: 0x15,
	valExpression: 0x16,
	gnuWindowSave: 0x2d,
	gnuArgsSize: 0x2e,
	gnuNegativeOffsetExtended: 0x2f,
} as const;

/** One decoded instruction: `op` (primary opcodes without their operand), a register, a value. */
export interface CfaInstruction {
	op: number;
	reg: number;
	value: number;
}

/** Reads an address operand (DW_CFA_set_loc), in whatever encoding the entry uses. */
export type AddressReader = (c: ByteCursor) => number;

type Shape = "none" | "u" | "s" | "reg" | "reg-u" | "reg-s" | "block" | "reg-block";

const SHAPES: Record<number, Shape> = {
	[OP.nop]: "none",
	[OP.rememberState]: "none",
	[OP.restoreState]: "none",
	[OP.gnuWindowSave]: "none",
	[OP.defCfaOffset]: "u",
	[OP.gnuArgsSize]: "u",
	[OP.defCfaOffsetSf]: "s",
	[OP.restoreExtended]: "reg",
	[OP.undefined]: "reg",
	[OP.sameValue]: "reg",
	[OP.defCfaRegister]: "reg",
	[OP.offsetExtended]: "reg-u",
	[OP.register]: "reg-u",
	[OP.defCfa]: "reg-u",
	[OP.valOffset]: "reg-u",
	[OP.gnuNegativeOffsetExtended]: "reg-u",
	[OP.offsetExtendedSf]: "reg-s",
	[OP.defCfaSf]: "reg-s",
	[OP.valOffsetSf]: "reg-s",
	[OP.defCfaExpression]: "block",
	[OP.expression]: "reg-block",
	[OP.valExpression]: "reg-block",
};

/**
 * Decodes the instruction at the cursor into `out`. Returns false for an opcode whose operands
 * are unknown (the rest of the program cannot be read); throws CursorEnd when it is cut short.
 */
export function decodeCfa(c: ByteCursor, readAddress: AddressReader, out: CfaInstruction): boolean {
	const byte = c.u8();
	const high = byte & 0xc0;
	out.reg = 0;
	out.value = 0;
	if (high !== 0) {
		out.op = high;
		if (high === OP.advanceLoc) out.value = byte & 0x3f;
		else out.reg = byte & 0x3f;
		if (high === OP.offset) out.value = c.uleb();
		return true;
	}
	out.op = byte;
	switch (byte) {
		case OP.setLoc:
			out.value = readAddress(c);
			return true;
		case OP.advanceLoc1:
			out.value = c.u8();
			return true;
		case OP.advanceLoc2:
			out.value = c.u16();
			return true;
		case OP.advanceLoc4:
			out.value = c.u32();
			return true;
	}
	const shape = SHAPES[byte];
	if (shape === undefined) return false;
	if (shape.startsWith("reg")) out.reg = c.uleb();
	if (shape === "u" || shape === "reg-u") out.value = c.uleb();
	else if (shape === "s" || shape === "reg-s") out.value = c.sleb();
	else if (shape === "block" || shape === "reg-block") c.skip(c.uleb());
	return true;
}

/**
 * The same program with every DW_CFA_set_loc operand rewritten as a plain 4-byte address, so
 * it can be run later without knowing the section it came from. Null when an opcode is unknown.
 */
export function canonicalCfa(c: ByteCursor, readAddress: AddressReader): Uint8Array | null {
	const out: number[] = [];
	const instruction: CfaInstruction = { op: 0, reg: 0, value: 0 };
	while (c.remaining > 0) {
		const start = c.pos;
		if (!decodeCfa(c, readAddress, instruction)) return null;
		if (instruction.op === OP.setLoc) {
			const address = instruction.value >>> 0;
			out.push(
				OP.setLoc,
				address & 0xff,
				(address >>> 8) & 0xff,
				(address >>> 16) & 0xff,
				address >>> 24,
			);
		} else {
			for (let i = start; i < c.pos; i++) out.push(c.bytes[i] as number);
		}
	}
	return Uint8Array.from(out);
}
