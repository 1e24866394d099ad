import { elfError } from "../elf/elf-error";
import { type ElfFile, type ElfSection, sectionNamed } from "../elf/elf-file";
import { GrowableU32 } from "../elf/growable";
import { RangeReader } from "../elf/range-reader";
import type { ByteSource } from "../zip/byte-source";
import { readUnitSources } from "./compile-units";
import { DwarfStrings } from "./dwarf-strings";
import { filePath, readLineHeader } from "./line-header";
import { runLineProgram } from "./line-program";
import { NO_FILE, SequenceRecorder } from "./line-sequence";

/** Where the answer to "which file and line" changes, over the code of the whole ELF. */
export interface LineTable {
	/** Ascending; from starts[i] up to starts[i + 1] the line is files[i]:lines[i]. */
	starts: Uint32Array;
	/** A path id (index into `paths`) or NO_FILE where no line covers the code. */
	files: Uint32Array;
	lines: Uint32Array;
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
			await runLineProgram(r, h, fileId, recorder, limits.maxRows - collected.rows);
			r.seek(h.end);
		}
	}
	return collected.table();
}

/** Sequences as they come, then sorted into one table. */
class Sequences {
	private readonly starts = new GrowableU32();
	private readonly files = new GrowableU32();
	private readonly lines = new GrowableU32();
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

	/** The sequences by start address; where one overlaps the previous, it takes over. */
	table(): LineTable {
		const count = this.firsts.length;
		const ends = [...this.firsts.slice(1), this.starts.length];
		const order = Array.from({ length: count }, (_, i) => i);
		order.sort(
			(a, b) =>
				this.starts.get(this.firsts[a] as number) - this.starts.get(this.firsts[b] as number) ||
				a - b,
		);
		const out = { starts: new GrowableU32(), files: new GrowableU32(), lines: new GrowableU32() };
		for (const seq of order) {
			const first = this.firsts[seq] as number;
			const start = this.starts.get(first);
			let keep = out.starts.length;
			while (keep > 0 && out.starts.get(keep - 1) >= start) keep--;
			out.starts.truncate(keep);
			out.files.truncate(keep);
			out.lines.truncate(keep);
			for (let row = first; row < (ends[seq] as number); row++) {
				out.starts.push(this.starts.get(row));
				out.files.push(this.files.get(row));
				out.lines.push(this.lines.get(row));
			}
		}
		return {
			starts: out.starts.view(),
			files: out.files.view(),
			lines: out.lines.view(),
			paths: [...this.paths.keys()],
		};
	}

	private inCode(address: number): boolean {
		return this.code.some((s) => address >= s.addr && address < s.addr + s.size);
	}
}

export { NO_FILE };
