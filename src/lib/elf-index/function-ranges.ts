import { BIND_GLOBAL, BIND_WEAK, type CodeSymbols } from "../elf/symbols";
import { type Breakpoints, newIntervals, resolveIntervals } from "./intervals";

/**
 * Which symbol names each code address, as breakpoints whose payload is a symbol's position in
 * `symbols`. A symbol with a size covers [value, value + size): FUNC symbols win over NOTYPE
 * ones, and the innermost wins among equals. A symbol without a size (an assembler label, a
 * function whose size was never set) covers from its value to the next symbol or the end of its
 * section, where no sized symbol does: what gdb does with such symbols. Among symbols at one
 * address (aliases), gdb's choice: a global one over a local one, then the name last in byte
 * order. `names` holds the symbols' names.
 */
export function functionBreakpoints(symbols: CodeSymbols, names: Uint8Array): Breakpoints {
	const { count, value, size, isFunction, sectionEnd } = symbols;
	const starts = Uint32Array.from(value).sort();
	const tie = aliasOrder(symbols, names);
	const set = newIntervals(count);
	for (let k = 0; k < count; k++) {
		const start = value[k] as number;
		const sized = (size[k] as number) > 0;
		set.start[k] = start;
		set.end[k] = sized
			? start + (size[k] as number)
			: Math.min(nextAbove(starts, start), sectionEnd[k] as number);
		set.rank[k] = sized ? (isFunction[k] ? 0 : 1) : 2;
		set.tie[k] = tie[k] as number;
		set.payload[k] = k;
	}
	return resolveIntervals(set);
}

/** Each symbol's place among its aliases: FUNC first, then global, then by name descending. */
function aliasOrder(symbols: CodeSymbols, names: Uint8Array): Uint32Array {
	const { count, value, isFunction, bind, nameOffset, nameLength } = symbols;
	const name = (k: number) =>
		names.subarray(nameOffset[k] as number, (nameOffset[k] as number) + (nameLength[k] as number));
	const order = Array.from({ length: count }, (_, k) => k);
	order.sort(
		(a, b) =>
			(value[a] as number) - (value[b] as number) ||
			(isFunction[b] as number) - (isFunction[a] as number) ||
			bindRank(bind[a] as number) - bindRank(bind[b] as number) ||
			compareBytes(name(b), name(a)),
	);
	const tie = new Uint32Array(count);
	order.forEach((k, position) => {
		tie[k] = position;
	});
	return tie;
}

/** Global first, then local, weak last: a weak symbol at an address is usually an alias. */
function bindRank(bind: number): number {
	return bind === BIND_GLOBAL ? 0 : bind === BIND_WEAK ? 2 : 1;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
	const length = Math.min(a.length, b.length);
	for (let i = 0; i < length; i++) {
		if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
	}
	return a.length - b.length;
}

/** The smallest value in sorted `values` above `x`, else +∞. */
function nextAbove(values: Uint32Array, x: number): number {
	let lo = 0;
	let hi = values.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if ((values[mid] as number) <= x) lo = mid + 1;
		else hi = mid;
	}
	return lo < values.length ? (values[lo] as number) : Number.POSITIVE_INFINITY;
}
