import type { RangeReader } from "../elf/range-reader";

/** What a unit's header says about the sizes of its values. */
export interface UnitShape {
	version: number;
	/** 4 (32-bit DWARF) or 8 (64-bit DWARF). */
	offsetSize: number;
	addressSize: number;
}

/** An attribute's value, as far as the index needs it. */
export type FormValue =
	| { kind: "number"; value: number }
	| { kind: "string"; value: string }
	/** A string in `.debug_str` or `.debug_line_str`, read later. */
	| { kind: "strp"; section: ".debug_str" | ".debug_line_str"; offset: number }
	/** Read and skipped: blocks, references, indexed strings. */
	| { kind: "other" };

const OTHER: FormValue = { kind: "other" };

/**
 * Reads one attribute value of `form` from the reader's window (the caller filled it with the
 * whole entry). Returns null for a form it does not know: its size is then unknown and the rest
 * of the entry cannot be read.
 */
export function readForm(
	r: RangeReader,
	form: number,
	shape: UnitShape,
	implicitConst = 0,
): FormValue | null {
	const number = (value: number): FormValue => ({ kind: "number", value });
	switch (form) {
		case 0x01: // addr
			return number(r.unsigned(shape.addressSize));
		case 0x0b: // data1
		case 0x11: // ref1
		case 0x0c: // flag
			return number(r.u8());
		case 0x05: // data2
		case 0x12: // ref2
			return number(r.u16());
		case 0x06: // data4
		case 0x13: // ref4
			return number(r.u32());
		case 0x07: // data8
		case 0x14: // ref8
		case 0x20: // ref_sig8
			return number(r.u64());
		case 0x0d: // sdata
			return number(r.sleb());
		case 0x0f: // udata
		case 0x15: // ref_udata
			return number(r.uleb());
		case 0x17: // sec_offset
			return number(r.unsigned(shape.offsetSize));
		case 0x08: // string
			return { kind: "string", value: r.cstring() };
		case 0x0e: // strp
			return { kind: "strp", section: ".debug_str", offset: r.unsigned(shape.offsetSize) };
		case 0x1f: // line_strp
			return { kind: "strp", section: ".debug_line_str", offset: r.unsigned(shape.offsetSize) };
		case 0x19: // flag_present
			return number(1);
		case 0x21: // implicit_const
			return number(implicitConst);
		case 0x16: {
			// indirect: the form comes first; one level only.
			const actual = r.uleb();
			return actual === 0x16 ? null : readForm(r, actual, shape, implicitConst);
		}
		default:
			return skipForm(r, form, shape);
	}
}

function skipForm(r: RangeReader, form: number, shape: UnitShape): FormValue | null {
	const fixed = FIXED_SIZES[form];
	if (fixed !== undefined) {
		r.skip(fixed === "offset" ? shape.offsetSize : fixed);
		return OTHER;
	}
	switch (form) {
		case 0x10: // ref_addr: an address in DWARF 2, an offset after
			r.skip(shape.version <= 2 ? shape.addressSize : shape.offsetSize);
			return OTHER;
		case 0x03: // block2
			r.skip(r.u16());
			return OTHER;
		case 0x04: // block4
			r.skip(r.u32());
			return OTHER;
		case 0x09: // block
		case 0x18: // exprloc
			r.skip(r.uleb());
			return OTHER;
		case 0x0a: // block1
			r.skip(r.u8());
			return OTHER;
		case 0x1a: // strx
		case 0x1b: // addrx
		case 0x22: // loclistx
		case 0x23: // rnglistx
		case 0x1f01: // GNU_addr_index
		case 0x1f02: // GNU_str_index
			r.uleb();
			return OTHER;
		default:
			return null;
	}
}

const FIXED_SIZES: Record<number, number | "offset"> = {
	28: 4, // ref_sup4
	29: "offset", // strp_sup
	30: 16, // data16
	36: 8, // ref_sup8
	37: 1, // strx1
	38: 2, // strx2
	39: 3, // strx3
	40: 4, // strx4
	41: 1, // addrx1
	42: 2, // addrx2
	43: 3, // addrx3
	44: 4, // addrx4
	7968: "offset", // GNU_ref_alt
	7969: "offset", // GNU_strp_alt
};
