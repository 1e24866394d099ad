import { elfError, elfInvalid } from "../elf/elf-error";
import type { RangeReader } from "../elf/range-reader";
import type { UnitSource } from "./compile-units";
import type { DwarfStrings } from "./dwarf-strings";
import { type FormValue, readForm, type UnitShape } from "./forms";
import { isAbsolute, joinPath } from "./paths";
import { unitLength } from "./unit-length";

const SECTION = ".debug_line";
const DW_LNCT_PATH = 1;
const DW_LNCT_DIRECTORY_INDEX = 2;
/** Largest line program header read (its directory and file tables). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export interface FileEntry {
	name: string;
	dir: number;
}

/** A line program's header, with its directory and file tables read. */
export interface LineHeader {
	version: number;
	/** Section-relative offsets of the first opcode and of the end of the unit. */
	programStart: number;
	end: number;
	minInstLength: number;
	maxOpsPerInst: number;
	defaultIsStmt: boolean;
	lineBase: number;
	lineRange: number;
	opcodeBase: number;
	/** Operand counts of standard opcodes 1 … opcodeBase − 1, at index opcode − 1. */
	standardLengths: Uint8Array;
	/** Directory table as listed (DWARF 5: entry 0 is the compilation directory). */
	dirs: (string | null)[];
	/** File table as listed; `fileBase` is the index of its first entry (1 before DWARF 5). */
	files: (FileEntry | null)[];
	fileBase: number;
	/** The unit's DW_AT_comp_dir, when `.debug_info` names it. */
	compDir: string | null;
	/** The unit's primary file: its full path, and the name gdb shows it by (DW_AT_name). */
	primary: { path: string; name: string } | null;
}

/**
 * Reads the header of the line program at the reader's position (DWARF 2 to 5) and leaves the
 * reader at its first opcode. Returns null, with the reader at the next unit, for versions it
 * does not read.
 */
export async function readLineHeader(
	r: RangeReader,
	strings: DwarfStrings,
	units: Map<number, UnitSource>,
): Promise<LineHeader | null> {
	const unitOffset = r.pos;
	await r.fill(32);
	const { length, offsetSize } = unitLength(r, "a line program", SECTION);
	const end = r.pos + length;
	const version = length >= 2 ? r.u16() : 0;
	if (version < 2 || version > 5) {
		r.seek(end);
		return null;
	}
	let addressSize = 4;
	if (version >= 5) {
		addressSize = r.u8();
		r.u8(); // segment selector size
	}
	const headerLength = r.unsigned(offsetSize);
	const programStart = r.pos + headerLength;
	if (programStart > end)
		throw elfInvalid("a line program header runs past its unit", { section: SECTION });
	if (headerLength > MAX_HEADER_BYTES) {
		throw elfError("ELF_INDEX_TOO_LARGE", "a line program header is too large", {
			section: SECTION,
		});
	}
	await r.fill(headerLength + 1);
	const minInstLength = r.u8();
	const maxOpsPerInst = version >= 4 ? r.u8() : 1;
	const defaultIsStmt = r.u8() !== 0;
	const lineBase = (r.u8() << 24) >> 24;
	const lineRange = r.u8();
	const opcodeBase = r.u8();
	if (lineRange === 0)
		throw elfInvalid("a line program has a line range of 0", { section: SECTION });
	const standardLengths = opcodeBase > 0 ? r.bytes(opcodeBase - 1).slice() : new Uint8Array(0);
	const shape: UnitShape = { version, offsetSize, addressSize };
	const tables =
		version >= 5
			? await readTablesV5(r, programStart, shape, strings)
			: readTablesV4(r, programStart);
	r.seek(programStart);
	const unit = units.get(unitOffset);
	if (!tables) {
		r.seek(end);
		return null;
	}
	return {
		version,
		programStart,
		end,
		minInstLength,
		maxOpsPerInst: maxOpsPerInst === 0 ? 1 : maxOpsPerInst,
		defaultIsStmt,
		lineBase,
		lineRange,
		opcodeBase,
		standardLengths,
		dirs: tables.dirs,
		files: tables.files,
		fileBase: version >= 5 ? 0 : 1,
		compDir: unit?.compDir ?? null,
		primary: unit?.name ? { path: fullPath(unit.compDir, unit.name), name: unit.name } : null,
	};
}

interface Tables {
	dirs: (string | null)[];
	files: (FileEntry | null)[];
}

function readTablesV4(r: RangeReader, limit: number): Tables {
	const dirs: (string | null)[] = [];
	while (r.pos < limit) {
		const dir = r.cstring();
		if (dir === "") break;
		dirs.push(dir);
	}
	const files: (FileEntry | null)[] = [];
	while (r.pos < limit) {
		const name = r.cstring();
		if (name === "") break;
		const dir = r.uleb();
		r.uleb(); // modification time
		r.uleb(); // length
		files.push({ name, dir });
	}
	return { dirs, files };
}

/** DWARF 5 tables: each entry laid out by a list of (content, form); null if a form is unknown. */
async function readTablesV5(
	r: RangeReader,
	limit: number,
	shape: UnitShape,
	strings: DwarfStrings,
): Promise<Tables | null> {
	const dirEntries = readEntriesV5(r, limit);
	if (!dirEntries) return null;
	const fileEntries = readEntriesV5(r, limit);
	if (!fileEntries) return null;
	const dirs: (string | null)[] = [];
	for (const entry of dirEntries) dirs.push(await text(entry.get(DW_LNCT_PATH), strings));
	const files: (FileEntry | null)[] = [];
	for (const entry of fileEntries) {
		const name = await text(entry.get(DW_LNCT_PATH), strings);
		const dir = entry.get(DW_LNCT_DIRECTORY_INDEX);
		files.push(name === null ? null : { name, dir: dir?.kind === "number" ? dir.value : 0 });
	}
	return { dirs, files };

	function readEntriesV5(reader: RangeReader, end: number): Map<number, FormValue>[] | null {
		const formatCount = reader.u8();
		const format: [number, number][] = [];
		for (let i = 0; i < formatCount; i++) format.push([reader.uleb(), reader.uleb()]);
		const count = reader.uleb();
		// Every entry takes at least one byte, unless it has no fields at all.
		if (count > 0 && (formatCount === 0 || count > end - reader.pos)) {
			throw elfInvalid("a line table lists more entries than it holds", { section: SECTION });
		}
		const entries: Map<number, FormValue>[] = [];
		for (let i = 0; i < count; i++) {
			const entry = new Map<number, FormValue>();
			for (const [content, form] of format) {
				const value = readForm(reader, form, shape);
				if (!value) return null;
				entry.set(content, value);
			}
			if (reader.pos > end)
				throw elfInvalid("a line table runs past its header", { section: SECTION });
			entries.push(entry);
		}
		return entries;
	}
}

async function text(value: FormValue | undefined, strings: DwarfStrings): Promise<string | null> {
	if (value?.kind === "string") return value.value;
	if (value?.kind === "strp") return strings.get(value.section, value.offset);
	return null;
}

/**
 * The path gdb shows for file `index` of this table: the file name joined to its directory,
 * a relative directory joined to the compilation directory (DWARF 5: directory 0); for the
 * unit's primary file, the name the unit gives it. Undefined for an index the table lacks.
 */
export function filePath(h: LineHeader, index: number): string | undefined {
	const file = h.files[index - h.fileBase];
	if (!file) return undefined;
	const dir = isAbsolute(file.name) ? null : directory(h, file.dir);
	const path = dir ? joinPath(dir, file.name) : file.name;
	return h.primary && path === h.primary.path ? h.primary.name : path;
}

function fullPath(dir: string | null, name: string): string {
	return isAbsolute(name) || !dir ? name : joinPath(dir, name);
}

function directory(h: LineHeader, index: number): string | null {
	if (h.version < 5) {
		if (index === 0) return h.compDir;
		const dir = h.dirs[index - 1];
		if (dir === undefined || dir === null) return null;
		return isAbsolute(dir) || !h.compDir ? dir : joinPath(h.compDir, dir);
	}
	const dir = h.dirs[index];
	if (dir === undefined || dir === null) return null;
	if (isAbsolute(dir)) return dir;
	const base = index === 0 ? h.compDir : directory(h, 0);
	return base ? joinPath(base, dir) : dir;
}
