import type { RegisterRule, UnwindRow } from "../../../src/lib/coredump/symbolizer";

/**
 * A small reader of `readelf -wf` text (the cfi.txt facts): CIEs and FDEs of `.debug_frame`
 * and `.eh_frame`, and the CFI row at a PC, evaluated the way a DWARF unwinder does. Only the
 * instructions readelf prints for ESP-IDF ELFs are known; any other fails loudly.
 */
interface Instruction {
	op: string;
	register?: number;
	value?: number;
}

interface Cie {
	returnAddressRegister: number;
	initial: Instruction[];
}

interface Fde {
	start: number;
	end: number;
	cie: Cie;
	instructions: Instruction[];
}

export interface CfiTables {
	debugFrame: Fde[];
	ehFrame: Fde[];
}

export function parseReadelfCfi(text: string): CfiTables {
	const tables: CfiTables = { debugFrame: [], ehFrame: [] };
	let section: Fde[] = tables.debugFrame;
	let cies = new Map<string, Cie>();
	let current: Instruction[] | null = null;
	let cie: Cie | null = null;
	for (const raw of text.split("\n")) {
		const line = raw.trim();
		if (line.startsWith("Contents of the .eh_frame")) {
			section = tables.ehFrame;
			cies = new Map();
		} else if (line.startsWith("Contents of the .debug_frame")) {
			section = tables.debugFrame;
			cies = new Map();
		}
		const cieHead = /^([0-9a-f]{8}) [0-9a-f]+ [0-9a-f]+ CIE/.exec(line);
		const fdeHead =
			/^[0-9a-f]{8} [0-9a-f]+ [0-9a-f]+ FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(
				line,
			);
		if (cieHead) {
			cie = { returnAddressRegister: 1, initial: [] };
			cies.set(cieHead[1] as string, cie);
			current = cie.initial;
		} else if (fdeHead) {
			const owner = cies.get(fdeHead[1] as string);
			if (!owner) throw new Error(`FDE names an unknown CIE: ${line}`);
			const fde: Fde = {
				start: Number.parseInt(fdeHead[2] as string, 16),
				end: Number.parseInt(fdeHead[3] as string, 16),
				cie: owner,
				instructions: [],
			};
			section.push(fde);
			current = fde.instructions;
			cie = null;
		} else if (line.startsWith("Return address column:") && cie) {
			cie.returnAddressRegister = Number(line.split(":")[1]);
		} else if (line.startsWith("DW_CFA_") && current) {
			current.push(parseInstruction(line));
		}
	}
	return tables;
}

function parseInstruction(line: string): Instruction {
	const colon = line.indexOf(":");
	const op = colon < 0 ? line : line.slice(0, colon);
	const rest = colon < 0 ? "" : line.slice(colon + 1).trim();
	const register = /^r(\d+)/.exec(rest)?.[1];
	const reg = register === undefined ? undefined : Number(register);
	switch (op) {
		case "DW_CFA_advance_loc":
		case "DW_CFA_advance_loc1":
		case "DW_CFA_advance_loc2":
		case "DW_CFA_advance_loc4":
			return { op: "advance", value: Number.parseInt(/to ([0-9a-f]+)/.exec(rest)?.[1] ?? "", 16) };
		case "DW_CFA_def_cfa":
			return { op: "def_cfa", register: reg, value: Number(/ofs (-?\d+)/.exec(rest)?.[1]) };
		case "DW_CFA_def_cfa_offset":
			return { op: "def_cfa_offset", value: Number(rest) };
		case "DW_CFA_def_cfa_register":
			return { op: "def_cfa_register", register: reg };
		case "DW_CFA_offset":
			return { op: "offset", register: reg, value: -Number(/cfa-(\d+)/.exec(rest)?.[1]) };
		case "DW_CFA_restore":
		case "DW_CFA_undefined":
			return { op: op.slice(7), register: reg };
		case "DW_CFA_remember_state":
		case "DW_CFA_restore_state":
		case "DW_CFA_nop":
			return { op: op.slice(7) };
		default:
			throw new Error(`unknown CFA instruction: ${line}`);
	}
}

interface State {
	cfa: { register: number; offset: number } | null;
	rules: Map<number, RegisterRule>;
}

/** The row at `pc`: the CIE's initial instructions, then the FDE's up to `pc`. */
export function rowAt(tables: CfiTables, pc: number): UnwindRow | null {
	const fde =
		tables.debugFrame.find((f) => pc >= f.start && pc < f.end) ??
		tables.ehFrame.find((f) => pc >= f.start && pc < f.end);
	if (!fde) return null;
	const initial = run(
		fde.cie.initial,
		{ cfa: null, rules: new Map() },
		null,
		Number.POSITIVE_INFINITY,
		fde.start,
	);
	const state = run(fde.instructions, clone(initial), initial, pc, fde.start);
	return {
		cfa: state.cfa,
		rules: state.rules,
		returnAddressRegister: fde.cie.returnAddressRegister,
	};
}

function run(
	instructions: readonly Instruction[],
	state: State,
	initial: State | null,
	pc: number,
	start: number,
): State {
	let location = start;
	const stack: State[] = [];
	let s = state;
	for (const ins of instructions) {
		if (ins.op === "advance") {
			location = ins.value as number;
			if (location > pc) break;
			continue;
		}
		const reg = ins.register as number;
		switch (ins.op) {
			case "def_cfa":
				s.cfa = { register: reg, offset: ins.value as number };
				break;
			case "def_cfa_offset":
				s.cfa = { register: s.cfa?.register ?? 2, offset: ins.value as number };
				break;
			case "def_cfa_register":
				s.cfa = { register: reg, offset: s.cfa?.offset ?? 0 };
				break;
			case "offset":
				s.rules.set(reg, { kind: "offset", offset: ins.value as number });
				break;
			case "undefined":
				s.rules.set(reg, { kind: "undefined" });
				break;
			case "restore": {
				const rule = initial?.rules.get(reg);
				if (rule) s.rules.set(reg, rule);
				else s.rules.delete(reg);
				break;
			}
			case "remember_state":
				stack.push(clone(s));
				break;
			case "restore_state":
				// Like gdb (and as GCC's epilogues expect), the CFA is part of the remembered state.
				s = stack.pop() ?? s;
				break;
		}
	}
	return s;
}

function clone(state: State): State {
	return { cfa: state.cfa ? { ...state.cfa } : null, rules: new Map(state.rules) };
}
