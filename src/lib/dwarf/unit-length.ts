import { elfInvalid } from "../elf/elf-error";
import type { RangeReader } from "../elf/range-reader";

/**
 * Reads the initial length of a DWARF unit (a compile unit, a line program): 32-bit, or
 * 0xffffffff then 64-bit, which also makes the unit's offsets 8 bytes. Refuses the reserved
 * lengths and a unit that runs past its section; `what` names the unit in the refusal.
 */
export function unitLength(
	r: RangeReader,
	what: string,
	section: string,
): { length: number; offsetSize: 4 | 8 } {
	const short = r.u32();
	if (short === 0xffffffff) return checked(r, r.u64(), 8, what, section);
	if (short >= 0xfffffff0) throw elfInvalid(`${what} has a reserved length`, { section });
	return checked(r, short, 4, what, section);
}

function checked(r: RangeReader, length: number, offsetSize: 4 | 8, what: string, section: string) {
	if (length > r.remaining()) throw elfInvalid(`${what} runs past its section`, { section });
	return { length, offsetSize };
}
