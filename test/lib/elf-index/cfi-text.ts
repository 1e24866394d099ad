import type { CieFact, FdeFact } from "../../fixtures/elf/readelf-facts";

/** A CFI row as readelf's printed instructions describe it. */
export interface TextRow {
	cfa: { register: number; offset: number };
	/** Register → offset from the CFA where it is saved, or "undefined". */
	rules: Map<number, number | "undefined">;
}

/**
 * The rows an FDE's printed instructions give, by address: a second reading of `readelf -wf`,
 * independent of any encoding (readelf prints the address each advance reaches).
 */
export function textRows(fde: FdeFact, cie: CieFact): { from: number; to: number; row: TextRow }[] {
	const initial: TextRow = { cfa: { register: 0, offset: 0 }, rules: new Map() };
	for (const line of cie.instructions) apply(initial, line, null, []);
	const state: TextRow = { cfa: { ...initial.cfa }, rules: new Map(initial.rules) };
	const stack: TextRow[] = [];
	const rows: { from: number; to: number; row: TextRow }[] = [];
	let loc = fde.pcBegin;
	for (const line of fde.instructions) {
		const advance = /^DW_CFA_advance_loc\d?: \d+ to ([0-9a-f]+)$/.exec(line);
		if (advance) {
			const to = Number.parseInt(advance[1] as string, 16);
			rows.push({ from: loc, to, row: copy(state) });
			loc = to;
			continue;
		}
		apply(state, line, initial, stack);
	}
	rows.push({ from: loc, to: fde.pcEnd, row: copy(state) });
	return rows.filter((r) => r.to > r.from);
}

function apply(state: TextRow, line: string, initial: TextRow | null, stack: TextRow[]): void {
	const reg = Number(/\br(\d+)\b/.exec(line)?.[1]);
	if (line.startsWith("DW_CFA_def_cfa_register:"))
		state.cfa = { register: reg, offset: state.cfa.offset };
	else if (line.startsWith("DW_CFA_def_cfa_offset:"))
		state.cfa = { ...state.cfa, offset: Number(line.split(": ")[1]) };
	else if (line.startsWith("DW_CFA_def_cfa:"))
		state.cfa = { register: reg, offset: Number(/ofs (-?\d+)/.exec(line)?.[1]) };
	else if (line.startsWith("DW_CFA_offset:"))
		state.rules.set(reg, Number(/cfa(-?\d+)/.exec(line)?.[1]));
	else if (line.startsWith("DW_CFA_undefined:")) state.rules.set(reg, "undefined");
	else if (line.startsWith("DW_CFA_restore:")) {
		const rule = initial?.rules.get(reg);
		if (rule === undefined) state.rules.delete(reg);
		else state.rules.set(reg, rule);
	} else if (line === "DW_CFA_remember_state") stack.push(copy(state));
	else if (line === "DW_CFA_restore_state") Object.assign(state, stack.pop());
}

function copy(row: TextRow): TextRow {
	return { cfa: { ...row.cfa }, rules: new Map(row.rules) };
}
