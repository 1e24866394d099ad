import type { RegisterRule, UnwindRow } from "../coredump/symbolizer";
import { ByteCursor } from "../elf/byte-cursor";
import { type AddressReader, type CfaInstruction, decodeCfa, OP } from "./cfa-instructions";

/** How deep DW_CFA_remember_state may nest. */
export const MAX_STATE_DEPTH = 64;

/** What a CIE contributes to running an FDE's instructions. */
export interface CfaParameters {
	codeAlign: number;
	dataAlign: number;
	returnAddressRegister: number;
	/** The FDE's first address. */
	pcBegin: number;
}

type Rule = RegisterRule | { kind: "expression" };
type Cfa = { register: number; offset: number } | "expression" | null;

interface State {
	cfa: Cfa;
	rules: Map<number, Rule>;
}

const readU32: AddressReader = (c) => c.u32();

/**
 * Runs a CIE's initial instructions, then an FDE's up to `pc`, and returns the row in force at
 * `pc`: a DWARF CFA interpreter. Rules given by DWARF expressions are reported as "undefined"
 * (the register cannot be recovered without evaluating them) and a CFA given by an expression
 * as null. Null when the program is malformed (unknown opcode, cut short, unbalanced
 * remember/restore). Every loop is bounded by the bytes of the program.
 */
export function unwindRowAt(
	cieInstructions: Uint8Array,
	fdeInstructions: Uint8Array,
	params: CfaParameters,
	pc: number,
	readAddress: AddressReader = readU32,
): UnwindRow | null {
	try {
		const state: State = { cfa: null, rules: new Map() };
		if (
			!run(
				new ByteCursor(cieInstructions),
				state,
				null,
				params,
				Number.POSITIVE_INFINITY,
				readAddress,
			)
		) {
			return null;
		}
		const initial = new Map(state.rules);
		if (!run(new ByteCursor(fdeInstructions), state, initial, params, pc, readAddress)) return null;
		return toRow(state, params.returnAddressRegister);
	} catch {
		return null;
	}
}

function run(
	c: ByteCursor,
	state: State,
	initial: Map<number, Rule> | null,
	params: CfaParameters,
	pc: number,
	readAddress: AddressReader,
): boolean {
	const stack: State[] = [];
	const ins: CfaInstruction = { op: 0, reg: 0, value: 0 };
	let loc = params.pcBegin;
	const { codeAlign, dataAlign } = params;
	while (c.remaining > 0) {
		if (!decodeCfa(c, readAddress, ins)) return false;
		const { reg, value } = ins;
		switch (ins.op) {
			case OP.advanceLoc:
			case OP.advanceLoc1:
			case OP.advanceLoc2:
			case OP.advanceLoc4:
				if (initial === null) break;
				if (loc + value * codeAlign > pc) return true;
				loc += value * codeAlign;
				break;
			case OP.setLoc:
				if (initial === null) break;
				if (value > pc) return true;
				loc = value;
				break;
			case OP.defCfa:
				state.cfa = { register: reg, offset: value };
				break;
			case OP.defCfaSf:
				state.cfa = { register: reg, offset: value * dataAlign };
				break;
			case OP.defCfaRegister:
				state.cfa = {
					register: reg,
					offset: typeof state.cfa === "object" && state.cfa ? state.cfa.offset : 0,
				};
				break;
			case OP.defCfaOffset:
			case OP.defCfaOffsetSf:
				if (typeof state.cfa === "object" && state.cfa) {
					state.cfa = {
						register: state.cfa.register,
						offset: ins.op === OP.defCfaOffset ? value : value * dataAlign,
					};
				}
				break;
			case OP.defCfaExpression:
				state.cfa = "expression";
				break;
			case OP.undefined:
				state.rules.set(reg, { kind: "undefined" });
				break;
			case OP.sameValue:
				state.rules.set(reg, { kind: "same" });
				break;
			case OP.offset:
			case OP.offsetExtended:
			case OP.offsetExtendedSf:
				state.rules.set(reg, { kind: "offset", offset: value * dataAlign });
				break;
			case OP.gnuNegativeOffsetExtended:
				state.rules.set(reg, { kind: "offset", offset: -value * dataAlign });
				break;
			case OP.valOffset:
			case OP.valOffsetSf:
				state.rules.set(reg, { kind: "val_offset", offset: value * dataAlign });
				break;
			case OP.register:
				state.rules.set(reg, { kind: "register", register: value });
				break;
			case OP.expression:
			case OP.valExpression:
				state.rules.set(reg, { kind: "expression" });
				break;
			case OP.restore:
			case OP.restoreExtended: {
				const rule = initial?.get(reg);
				if (rule) state.rules.set(reg, rule);
				else state.rules.delete(reg);
				break;
			}
			case OP.rememberState:
				if (stack.length >= MAX_STATE_DEPTH) return false;
				stack.push({ cfa: state.cfa, rules: new Map(state.rules) });
				break;
			case OP.restoreState: {
				const saved = stack.pop();
				if (!saved) return false;
				state.cfa = saved.cfa;
				state.rules = saved.rules;
				break;
			}
			default:
				// nop, GNU_args_size, GNU_window_save: nothing to track.
				break;
		}
	}
	return true;
}

function toRow(state: State, returnAddressRegister: number): UnwindRow {
	const rules = new Map<number, RegisterRule>();
	for (const [reg, rule] of state.rules) {
		rules.set(reg, rule.kind === "expression" ? { kind: "undefined" } : rule);
	}
	const cfa = typeof state.cfa === "object" && state.cfa ? state.cfa : null;
	return { cfa, rules, returnAddressRegister };
}
