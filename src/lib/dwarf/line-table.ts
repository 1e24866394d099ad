import { elfError } from "../elf/elf-error";
import { type ElfFile, type ElfSection, sectionNamed } from "../elf/elf-file";
import { ChunkedU32 } from "../elf/growable";
import { RangeReader } from "../elf/range-reader";
import type { ByteSource } from "../zip/byte-source";
import { readUnitSources } from "./compile-units";
import { DwarfStrings } from "./dwarf-strings";
import { filePath, readLineHeader } from "./line-header";
import { runLineProgram } from "./line-program";
import { NO_FILE, SequenceRecorder } from "./line-sequence";

/**
 * Where the answer to "which file and line" changes, over the code of the whole ELF: from one
 * row's start up to the next one's, the line is the row's file:line. `file` is a path id (an
 * index into `paths`) or NO_FILE where no line covers the code.
 */
export interface LineTable {
	rowCount: number;
	/** Calls `row` for each row, by ascending start. */
	rows(row: (start: number, file: number, line: number) => void): void;
	paths: string[];
}

export interface LineLimits {
	maxRows: number;
	chunkBytes: number;
}

/**
 * Reads every line program of `.debug_line` front to back, one chunk at a time, and keeps the
 * rows of sequences that start in code, as gdb would answer them (see SequenceRecorder).
 */
export async function readLineTable(
	source: ByteSource,
	elf: ElfFile,
	code: ElfSection[],
	limits: LineLimits,
): Promise<LineTable> {
	const section = sectionNamed(elf, ".debug_line");
	const collected = new Sequences(code, limits.maxRows);
	const inCode = (address: number) =>
		code.some((s) => address >= s.addr && address < s.addr + s.size);
	if (section) {
		const strings = new DwarfStrings(source, elf);
		const units = await readUnitSources(source, elf, strings, limits.chunkBytes);
		const r = new RangeReader(
			source,
			section.offset,
			section.size,
			".debug_line",
			limits.chunkBytes,
		);
		const recorder = new SequenceRecorder(collected);
		while (r.remaining() > 0) {
			const h = await readLineHeader(r, strings, units);
			if (!h) continue;
			const ids = new Map<number, number | undefined>();
			const fileId = (index: number): number | undefined => {
				if (!ids.has(index)) {
					const path = filePath(h, index);
					ids.set(index, path === undefined ? undefined : collected.intern(path));
				}
				return ids.get(index);
			};
			await runLineProgram(r, h, fileId, recorder, limits.maxRows - collected.rows, inCode);
			r.seek(h.end);
		}
	}
	return collected.table();
}

/** Sequences as they come, then read back by address. */
class Sequences {
	private readonly starts = new ChunkedU32();
	private readonly files = new ChunkedU32();
	private readonly lines = new ChunkedU32();
	/** Per sequence: its first row. */
	private readonly firsts: number[] = [];
	private readonly paths = new Map<string, number>();

	constructor(
		private readonly code: ElfSection[],
		private readonly maxRows: number,
	) {}

	get rows(): number {
		return this.starts.length;
	}

	intern(path: string): number {
		let id = this.paths.get(path);
		if (id === undefined) {
			id = this.paths.size;
			this.paths.set(path, id);
		}
		return id;
	}

	sequence(starts: number[], files: number[], lines: number[]): void {
		if (!this.inCode(starts[0] as number)) return;
		if (this.starts.length + starts.length > this.maxRows) {
			throw elfError("ELF_INDEX_TOO_LARGE", "too many line rows", { limit: this.maxRows });
		}
		this.firsts.push(this.starts.length);
		for (let i = 0; i < starts.length; i++) {
			this.starts.push(starts[i] as number);
			this.files.push(files[i] as number);
			this.lines.push(lines[i] as number);
		}
	}

	/**
	 * The sequences by start address, without copying their rows. Where sequences overlap, the
	 * one that starts later takes over from its start: a sequence keeps its rows that start
	 * before the next sequence does.
	 */
	table(): LineTable {
		const count = this.firsts.length;
		const order = Array.from({ length: count }, (_, i) => i);
		const startOf = (seq: number) => this.starts.get(this.firsts[seq] as number);
		order.sort((a, b) => startOf(a) - startOf(b) || a - b);
		const kept: [first: number, end: number][] = [];
		let rowCount = 0;
		order.forEach((seq, k) => {
			const first = this.firsts[seq] as number;
			const last = seq + 1 < count ? (this.firsts[seq + 1] as number) : this.starts.length;
			const limit = k + 1 < count ? startOf(order[k + 1] as number) : Number.POSITIVE_INFINITY;
			let end = first;
			while (end < last && this.starts.get(end) < limit) end++;
			kept.push([first, end]);
			rowCount += end - first;
		});
		const { starts, files, lines } = this;
		return {
			rowCount,
			rows(row) {
				for (const [first, end] of kept) {
					for (let i = first; i < end; i++) row(starts.get(i), files.get(i), lines.get(i));
				}
			},
			paths: [...this.paths.keys()],
		};
	}

	private inCode(address: number): boolean {
		return this.code.some((s) => address >= s.addr && address < s.addr + s.size);
	}
}

export { NO_FILE };
