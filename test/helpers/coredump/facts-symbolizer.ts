import type { Symbolizer } from "../../../src/lib/coredump/symbolizer";
import { parseReadelfCfi, rowAt } from "./readelf-cfi";

/** The facts of one app ELF kept beside a real dump (readelf text; see shared/coredumps). */
export interface ElfFacts {
	symbols: string;
	sections: string;
	cfi: string;
}

interface Sym {
	value: number;
	size: number;
	name: string;
}

/**
 * A Symbolizer built from readelf's text of the app ELF: FUNC symbols cover [value,
 * value + size), else the nearest NOTYPE symbol below in the same executable section names
 * the address; code is any SHF_EXECINSTR section; CFI rows come from cfi.txt. The facts hold
 * no line table and no code bytes, so `lineAt` is always null (lines are the ELF index's
 * job) and `followsCall` approximates "a call ends here" by "inside a function, not at its
 * start"; the tests check the candidates a real ELF would accept by hand (see the report).
 */
export function factsSymbolizer(facts: ElfFacts): Symbolizer {
	const code = parseExecSections(facts.sections);
	const funcs: Sym[] = [];
	const notypes: Sym[] = [];
	for (const line of facts.symbols.split("\n")) {
		const m = /^\s*\d+:\s+([0-9a-f]{8})\s+(\d+)\s+(FUNC|NOTYPE)\s+\w+\s+\w+\s+(\d+)\s+(\S+)/.exec(
			line,
		);
		if (!m) continue;
		const [, value, size, type, , name] = m as unknown as string[];
		if (!name || name.startsWith("$")) continue;
		const sym = { value: Number.parseInt(value as string, 16), size: Number(size), name };
		(type === "FUNC" ? funcs : notypes).push(sym);
	}
	funcs.sort((a, b) => a.value - b.value);
	notypes.sort((a, b) => a.value - b.value);
	const starts = new Set(funcs.map((f) => f.value));
	const cfi = parseReadelfCfi(facts.cfi);
	const rows = new Map<number, ReturnType<typeof rowAt>>();
	const sectionOf = (address: number) => code.find(([s, e]) => address >= s && address < e);
	const isCode = (address: number) => sectionOf(address) !== undefined;
	const functionAt = (address: number): Sym | null => {
		const func = lastAtOrBelow(funcs, address);
		if (func && address < func.value + Math.max(func.size, 1)) return func;
		const section = sectionOf(address);
		const near = lastAtOrBelow(notypes, address);
		return section && near && near.value >= section[0] ? near : null;
	};
	return {
		async functionAt(address) {
			const sym = functionAt(address);
			return sym ? { name: sym.name, address: sym.value } : null;
		},
		async lineAt() {
			return null;
		},
		async isCode(address) {
			return isCode(address);
		},
		async followsCall(address) {
			const func = functionAt(address - 1);
			return isCode(address - 1) && func !== null && !starts.has(address);
		},
		async unwindAt(pc) {
			let row = rows.get(pc);
			if (row === undefined) {
				row = rowAt(cfi, pc);
				rows.set(pc, row);
			}
			return row;
		},
	};
}

function parseExecSections(text: string): [number, number][] {
	const out: [number, number][] = [];
	for (const line of text.split("\n")) {
		const m = /\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)/.exec(
			line,
		);
		if (!m) continue;
		const start = Number.parseInt(m[2] as string, 16);
		const size = Number.parseInt(m[3] as string, 16);
		if ((m[4] as string).includes("X") && start !== 0 && size > 0) out.push([start, start + size]);
	}
	return out;
}

function lastAtOrBelow(list: readonly Sym[], address: number): Sym | null {
	let low = 0;
	let high = list.length - 1;
	let found: Sym | null = null;
	while (low <= high) {
		const mid = (low + high) >> 1;
		const sym = list[mid] as Sym;
		if (sym.value <= address) {
			found = sym;
			low = mid + 1;
		} else high = mid - 1;
	}
	return found;
}
