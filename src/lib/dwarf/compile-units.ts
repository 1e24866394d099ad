import { elfInvalid } from "../elf/elf-error";
import { type ElfFile, sectionNamed } from "../elf/elf-file";
import { PageCache } from "../elf/page-cache";
import { RangeReader } from "../elf/range-reader";
import { type ByteSource, memorySource } from "../zip/byte-source";
import type { DwarfStrings } from "./dwarf-strings";
import { type FormValue, readForm, type UnitShape } from "./forms";
import { unitLength } from "./unit-length";

const DW_AT_NAME = 0x03;
const DW_AT_STMT_LIST = 0x10;
const DW_AT_COMP_DIR = 0x1b;
/** Windows a unit's first entry is read in (name, producer, directories: usually short). */
const FIRST_ENTRY_WINDOWS = [4096, 64 * 1024];
/** Bytes of `.debug_abbrev` searched for a unit's first abbreviation. */
const ABBREV_WINDOW_BYTES = 16 * 1024;

/** What a unit says of its source: its directory and primary file (DW_AT_comp_dir, DW_AT_name). */
export interface UnitSource {
	compDir: string | null;
	name: string | null;
}

/**
 * The source of each unit in `.debug_info`, keyed by the offset of its line program in
 * `.debug_line` (DW_AT_stmt_list): DWARF 2–4 line tables name files relative to the unit's
 * directory, and gdb shows the unit's primary file by the name the unit gives it. Only each
 * unit's header and first entry are read; the rest is skipped.
 */
export async function readUnitSources(
	source: ByteSource,
	elf: ElfFile,
	strings: DwarfStrings,
	chunkBytes: number,
): Promise<Map<number, UnitSource>> {
	const dirs = new Map<number, UnitSource>();
	const info = sectionNamed(elf, ".debug_info");
	const abbrevSection = sectionNamed(elf, ".debug_abbrev");
	if (!info || !abbrevSection) return dirs;
	const abbrevs = new PageCache(source, abbrevSection.offset, abbrevSection.size, 8);
	const r = new RangeReader(source, info.offset, info.size, ".debug_info", chunkBytes);
	while (r.remaining() > 0) {
		await r.fill(32);
		const { length, offsetSize } = unitLength(r, "a unit", ".debug_info");
		const end = r.pos + length;
		const unit = await firstEntry(r, end, offsetSize, abbrevs);
		if (unit) {
			const stmtList = unit.get(DW_AT_STMT_LIST);
			const compDir = await stringValue(unit.get(DW_AT_COMP_DIR), strings);
			const name = await stringValue(unit.get(DW_AT_NAME), strings);
			if (stmtList?.kind === "number") dirs.set(stmtList.value, { compDir, name });
		}
		r.seek(end);
	}
	return dirs;
}

/** The attributes of a unit's first entry, or null when the unit is of a kind not read here. */
async function firstEntry(
	r: RangeReader,
	end: number,
	offsetSize: number,
	abbrevs: PageCache,
): Promise<Map<number, FormValue> | null> {
	const version = r.u16();
	if (version < 2 || version > 5) return null;
	let addressSize: number;
	let abbrevOffset: number;
	if (version === 5) {
		const unitType = r.u8();
		addressSize = r.u8();
		abbrevOffset = r.unsigned(offsetSize);
		if (unitType !== 1 && unitType !== 3) return null; // only full and partial units
	} else {
		abbrevOffset = r.unsigned(offsetSize);
		addressSize = r.u8();
	}
	const shape: UnitShape = { version, offsetSize, addressSize };
	if (r.pos >= end) return null;
	await r.fill(16);
	const code = r.uleb();
	const specs = await abbreviation(abbrevs, abbrevOffset, code);
	if (!specs) return null;
	const windows = FIRST_ENTRY_WINDOWS.map((size) => Math.min(size, end - r.pos));
	return r.withWindow(windows, () => {
		const values = new Map<number, FormValue>();
		for (const [name, form, implicitConst] of specs) {
			if (r.pos >= end) break;
			const value = readForm(r, form, shape, implicitConst);
			if (!value) break;
			values.set(name, value);
		}
		return values;
	});
}

type AttributeSpec = [name: number, form: number, implicitConst: number];

/** The attribute specs of abbreviation `code` in the table at `offset`; null if not found near. */
async function abbreviation(
	abbrevs: PageCache,
	offset: number,
	code: number,
): Promise<AttributeSpec[] | null> {
	if (offset >= abbrevs.length)
		throw elfInvalid("an abbreviation table offset is outside .debug_abbrev");
	const bytes = await abbrevs.read(offset, Math.min(ABBREV_WINDOW_BYTES, abbrevs.length - offset));
	const r = new RangeReader(memorySource(bytes), 0, bytes.length, ".debug_abbrev");
	await r.fill(bytes.length);
	try {
		while (r.remaining() > 0) {
			const entryCode = r.uleb();
			if (entryCode === 0) return null;
			r.uleb(); // tag
			r.u8(); // children
			const specs: AttributeSpec[] = [];
			for (;;) {
				const name = r.uleb();
				const form = r.uleb();
				if (name === 0 && form === 0) break;
				specs.push([name, form, form === 0x21 ? r.sleb() : 0]);
			}
			if (entryCode === code) return specs;
		}
	} catch {
		// The table runs past the bytes read: the abbreviation is not near enough to matter.
	}
	return null;
}

async function stringValue(
	value: FormValue | undefined,
	strings: DwarfStrings,
): Promise<string | null> {
	if (value?.kind === "string") return value.value;
	if (value?.kind === "strp") return strings.get(value.section, value.offset);
	return null;
}
