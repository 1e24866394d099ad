import type { LineTable } from "../dwarf/line-table";
import type { ElfSection } from "../elf/elf-file";
import type { ByteBlob } from "../elf/growable";
import type { CodeSymbols } from "../elf/symbols";
import type { CallMap } from "./call-sites";
import {
	type CodeRange,
	type Directory,
	dataOffset,
	HEADER_BYTES,
	INDEX_MAGIC,
	INDEX_VERSION,
	RECORD_BYTES,
	recordsPerBlock,
	type TableName,
} from "./format";
import { type Breakpoints, NONE } from "./intervals";

export interface IndexParts {
	machine: number;
	code: ElfSection[];
	calls: CallMap[];
	symbols: CodeSymbols;
	functions: Breakpoints;
	lines: LineTable;
	frames: Breakpoints;
	cfi: Uint8Array;
	/** Holds the symbol names already; the file paths are added here. */
	strings: ByteBlob;
}

/** Lays the parts out as the index format describes (see format.ts), in one buffer. */
export function writeIndex(parts: IndexParts): Uint8Array {
	const encoder = new TextEncoder();
	const files = parts.lines.paths.map((path) => {
		const bytes = encoder.encode(path);
		return [parts.strings.append(bytes), bytes.length] as const;
	});
	const callsLength = parts.calls.reduce((sum, map) => sum + map.bits.length, 0);
	const counts: Record<TableName, number> = {
		functions: parts.functions.starts.length,
		lines: parts.lines.rowCount,
		files: files.length,
		frames: parts.frames.starts.length,
	};
	const keys: Record<TableName, ArrayLike<number>> = {
		functions: parts.functions.starts,
		lines: lineKeys(parts.lines),
		files: [],
		frames: parts.frames.starts,
	};
	// Offsets in the directory count from the end of the directory (the data start).
	const layout = place(0);
	const directory: Directory = {
		machine: parts.machine,
		code: codeRanges(parts.code, parts.calls),
		tables: {
			functions: table("functions"),
			lines: table("lines"),
			files: table("files"),
			frames: table("frames"),
		},
		blobs: {
			strings: { offset: layout.strings, length: parts.strings.length },
			cfi: { offset: layout.cfi, length: parts.cfi.length },
			calls: { offset: layout.calls, length: callsLength },
		},
	};
	const directoryBytes = encoder.encode(JSON.stringify(directory));
	const dataStart = dataOffset(directoryBytes.length);
	const out = new Uint8Array(dataStart + layout.end);
	const view = new DataView(out.buffer);
	out.set(encoder.encode(INDEX_MAGIC), 0);
	view.setUint32(8, INDEX_VERSION, true);
	view.setUint32(12, directoryBytes.length, true);
	out.set(directoryBytes, HEADER_BYTES);
	writeFunctions(view, dataStart + layout.functions, parts);
	let lineAt = dataStart + layout.lines;
	parts.lines.rows((start, file, line) => {
		view.setUint32(lineAt, start, true);
		view.setUint32(lineAt + 4, file, true);
		view.setUint32(lineAt + 8, line, true);
		lineAt += RECORD_BYTES.lines;
	});
	writeColumns(view, dataStart + layout.files, [
		Uint32Array.from(files, ([offset]) => offset),
		Uint32Array.from(files, ([, length]) => length),
	]);
	writeColumns(view, dataStart + layout.frames, [parts.frames.starts, parts.frames.payloads]);
	out.set(parts.strings.view(), dataStart + layout.strings);
	out.set(parts.cfi, dataStart + layout.cfi);
	let at = dataStart + layout.calls;
	for (const map of parts.calls) {
		out.set(map.bits, at);
		at += map.bits.length;
	}
	return out;

	function table(name: TableName) {
		const perBlock = recordsPerBlock(name);
		const fences: number[] = [];
		if (name !== "files") {
			for (let i = 0; i < counts[name]; i += perBlock) fences.push(keys[name][i] as number);
		}
		return { offset: layout[name], count: counts[name], fences };
	}

	function place(start: number) {
		const functions = start;
		const lines = functions + counts.functions * RECORD_BYTES.functions;
		const filesAt = lines + counts.lines * RECORD_BYTES.lines;
		const frames = filesAt + counts.files * RECORD_BYTES.files;
		const strings = frames + counts.frames * RECORD_BYTES.frames;
		const cfi = strings + parts.strings.length;
		const calls = cfi + parts.cfi.length;
		return {
			functions,
			lines,
			files: filesAt,
			frames,
			strings,
			cfi,
			calls,
			end: calls + callsLength,
		};
	}
}

/** The start of every line row that begins a block (the only keys fences need). */
function lineKeys(lines: LineTable): ArrayLike<number> {
	const perBlock = recordsPerBlock("lines");
	const keys: number[] = [];
	let i = 0;
	lines.rows((start) => {
		if (i % perBlock === 0) keys[i] = start;
		i++;
	});
	return keys;
}

function codeRanges(code: ElfSection[], calls: CallMap[]): CodeRange[] {
	let at = 0;
	const offsets = new Map<ElfSection, number>();
	for (const map of calls) {
		offsets.set(map.section, at);
		at += map.bits.length;
	}
	return code.map((s) => ({ start: s.addr, end: s.addr + s.size, calls: offsets.get(s) ?? -1 }));
}

function writeFunctions(view: DataView, offset: number, parts: IndexParts): void {
	const { functions, symbols } = parts;
	for (let i = 0; i < functions.starts.length; i++) {
		const k = functions.payloads[i] as number;
		const at = offset + i * RECORD_BYTES.functions;
		view.setUint32(at, functions.starts[i] as number, true);
		if (k === NONE) continue;
		view.setUint32(at + 4, symbols.value[k] as number, true);
		view.setUint32(at + 8, symbols.nameOffset[k] as number, true);
		view.setUint32(at + 12, symbols.nameLength[k] as number, true);
	}
}

/** Records made of one u32 from each column, in order. */
function writeColumns(view: DataView, offset: number, columns: Uint32Array[]): void {
	const width = columns.length * 4;
	columns.forEach((column, c) => {
		for (let i = 0; i < column.length; i++) {
			view.setUint32(offset + i * width + c * 4, column[i] as number, true);
		}
	});
}
