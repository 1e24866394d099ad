import { BIND_GLOBAL, BIND_WEAK, type CodeSymbols } from "../elf/symbols";
import { type Breakpoints, newIntervals, resolveIntervals } from "./intervals";

/**
 * Which symbol names each code address, as breakpoints whose payload is a symbol's position in
 * `symbols`. A symbol with a size covers [value, value + size): FUNC symbols win over NOTYPE
 * ones, and the innermost wins among equals. A symbol without a size (an assembler label, a
 * function whose size was never set) covers from its value to the next symbol or the end of its
 * section, where no sized symbol does: what gdb does with such symbols.
 */
export function functionBreakpoints(symbols: CodeSymbols): Breakpoints {
	const { count, value, size, isFunction, bind, sectionEnd } = symbols;
	const starts = Uint32Array.from(value).sort();
	const set = newIntervals(count);
	for (let k = 0; k < count; k++) {
		const start = value[k] as number;
		const sized = (size[k] as number) > 0;
		set.start[k] = start;
		set.end[k] = sized
			? start + (size[k] as number)
			: Math.min(nextAbove(starts, start), sectionEnd[k] as number);
		set.rank[k] = sized ? (isFunction[k] ? 0 : 1) : 2;
		const bindRank = bind[k] === BIND_GLOBAL ? 0 : bind[k] === BIND_WEAK ? 1 : 2;
		set.tie[k] = ((isFunction[k] ? 0 : 1) << 30) | (bindRank << 28) | k;
		set.payload[k] = k;
	}
	return resolveIntervals(set);
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
