import type { ByteCursor } from "../elf/byte-cursor";

export const DW_EH_PE_OMIT = 0xff;

/** Bases that `.eh_frame` pointers may be relative to. */
export interface PointerBases {
	/** Address of the byte where the pointer starts (pcrel). */
	here: number;
	/** Address of `.text` (textrel) and of `.got` (datarel); 0 when the ELF has none. */
	text: number;
	data: number;
	/** The FDE's first address (funcrel), when known. */
	func?: number;
}

/**
 * Reads a pointer in `encoding` (DW_EH_PE_*: absptr, uleb128, udata2/4/8, sleb128, sdata2/4/8;
 * absolute, pcrel, textrel, datarel, funcrel or aligned), as a 32-bit address. Null when the
 * encoding is unknown or indirect (the pointer then needs memory this index does not have).
 * `valueOnly` skips the base (an FDE's address range).
 */
export function readEncoded(
	c: ByteCursor,
	encoding: number,
	bases: PointerBases,
	valueOnly = false,
): number | null {
	if (encoding & 0x80) return null;
	const application = encoding & 0x70;
	if (application === 0x50) c.skip((4 - (c.pos % 4)) % 4);
	const value = readFormat(c, encoding & 0x0f);
	if (value === null) return null;
	if (valueOnly || application === 0x00 || application === 0x50) return wrap(value);
	const base =
		application === 0x10
			? bases.here
			: application === 0x20
				? bases.text
				: application === 0x30
					? bases.data
					: application === 0x40
						? bases.func
						: undefined;
	return base === undefined ? null : wrap(base + value);
}

function readFormat(c: ByteCursor, format: number): number | null {
	switch (format) {
		case 0x00:
		case 0x03:
			return c.u32();
		case 0x01:
			return c.uleb();
		case 0x02:
			return c.u16();
		case 0x04:
			return c.u64();
		case 0x09:
			return c.sleb();
		case 0x0a:
			return c.i16();
		case 0x0b:
			return c.i32();
		case 0x0c:
			return c.i64();
		default:
			return null;
	}
}

function wrap(value: number): number {
	return ((value % 0x100000000) + 0x100000000) % 0x100000000;
}
