import { GrowableU32 } from "../elf/growable";

/** File id of a range that no line covers. */
export const NO_FILE = 0xffffffff;

/** Receives each finished sequence, flattened: [starts[i], starts[i + 1]) is at files[i]:lines[i]. */
export interface LineSink {
	/** `starts` ascend; the last range has NO_FILE and marks the end of the sequence. */
	sequence(starts: number[], files: number[], lines: number[]): void;
}

/**
 * The rows one sequence of a line program records, kept as gdb keeps them (one table per
 * source file, an end marker of line 0 where the program leaves a file or the sequence ends,
 * rows at a marker's address dropped), then flattened into what gdb's PC lookup answers for
 * each address: the row of the last entry at or before the PC in a file whose entry there is
 * not an end marker, preferring a statement row among several at the same address.
 */
export class SequenceRecorder {
	private readonly file = new GrowableU32();
	private readonly pc = new GrowableU32();
	private readonly line = new GrowableU32();
	private readonly stmt = new GrowableU32();
	/** Per file id: positions of its live rows, in the order recorded. */
	private readonly tables = new Map<number, number[]>();

	constructor(private readonly sink: LineSink) {}

	reset(): void {
		for (const column of [this.file, this.pc, this.line, this.stmt]) column.truncate(0);
		this.tables.clear();
	}

	get size(): number {
		return this.pc.length;
	}

	/** gdb's buildsym record_line: line 0 is an end marker that replaces rows at its address. */
	record(file: number, line: number, pc: number, isStmt: boolean): void {
		let table = this.tables.get(file);
		if (!table) {
			table = [];
			this.tables.set(file, table);
		}
		if (line === 0) {
			let lastLine: number | undefined;
			while (table.length > 0) {
				const last = table[table.length - 1] as number;
				lastLine = this.line.get(last);
				if (this.pc.get(last) !== pc) break;
				table.pop();
			}
			if (lastLine === undefined || lastLine === 0) return;
		}
		table.push(this.pc.length);
		this.file.push(file);
		this.pc.push(pc);
		this.line.push(line);
		this.stmt.push(isStmt ? 1 : 0);
	}

	/** Flattens what was recorded and hands it to the sink; then starts afresh. */
	finish(): void {
		const groups = this.groups();
		const open = new Map<number, number>();
		const starts: number[] = [];
		const files: number[] = [];
		const lines: number[] = [];
		for (let g = 0; g < groups.length; ) {
			const at = this.pc.get((groups[g] as number[])[0] as number);
			for (; g < groups.length && this.pc.get((groups[g] as number[])[0] as number) === at; g++) {
				const rows = groups[g] as number[];
				const chosen = this.choose(rows);
				const file = this.file.get(rows[0] as number);
				if (chosen < 0) open.delete(file);
				else open.set(file, chosen);
			}
			let best = -1;
			for (const row of open.values()) {
				if (best < 0 || this.pc.get(row) > this.pc.get(best)) best = row;
			}
			const file = best < 0 ? NO_FILE : this.file.get(best);
			const line = best < 0 ? 0 : this.line.get(best);
			if (
				files.length > 0 &&
				files[files.length - 1] === file &&
				lines[lines.length - 1] === line
			) {
				continue;
			}
			starts.push(at);
			files.push(file);
			lines.push(line);
		}
		if (files.length > 0 && files[files.length - 1] === NO_FILE) {
			this.sink.sequence(starts, files, lines);
		}
		this.reset();
	}

	/**
	 * The rows grouped by (address, file), groups by address then by file in order of first use;
	 * within a group, end markers first, then rows in the order recorded (gdb's stable sort).
	 */
	private groups(): number[][] {
		const groups: number[][] = [];
		let fileRank = 0;
		const ranked: [number, number, number[]][] = [];
		for (const table of this.tables.values()) {
			const rank = fileRank++;
			table.sort(
				(a, b) => this.pc.get(a) - this.pc.get(b) || this.isRow(a) - this.isRow(b) || a - b,
			);
			for (let i = 0; i < table.length; ) {
				const at = this.pc.get(table[i] as number);
				const rows: number[] = [];
				for (; i < table.length && this.pc.get(table[i] as number) === at; i++) {
					rows.push(table[i] as number);
				}
				ranked.push([at, rank, rows]);
			}
		}
		ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
		for (const [, , rows] of ranked) groups.push(rows);
		return groups;
	}

	/** The row a lookup lands on among one file's rows at one address; −1 for an end marker. */
	private choose(rows: number[]): number {
		let k = rows.length - 1;
		const last = rows[k] as number;
		if (this.line.get(last) === 0) return -1;
		while (
			k > 0 &&
			this.line.get(rows[k - 1] as number) !== 0 &&
			!this.stmt.get(rows[k] as number)
		) {
			k--;
		}
		const candidate = rows[k] as number;
		return this.stmt.get(candidate) ? candidate : last;
	}

	private isRow(row: number): number {
		return this.line.get(row) === 0 ? 0 : 1;
	}
}
