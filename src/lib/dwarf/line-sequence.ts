import { GrowableU32 } from "../elf/growable";

/** File id of a range that no line covers. */
export const NO_FILE = 0xffffffff;
const NONE = 0xffffffff;
/** `stmt` of a row an end marker removed. */
const REMOVED = 2;

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
	/** 1 statement, 0 not, REMOVED when an end marker dropped the row. */
	private readonly stmt = new GrowableU32();
	/** Per row: the previous live row of the same file (NONE: none). */
	private readonly previous = new GrowableU32();
	/** Per file: its last live row. */
	private readonly lastOf = new Map<number, number>();
	/** False once a row's address is below the one before (DWARF forbids it; gdb sorts). */
	private ordered = true;

	constructor(private readonly sink: LineSink) {}

	reset(): void {
		for (const column of [this.file, this.pc, this.line, this.stmt, this.previous])
			column.truncate(0);
		this.lastOf.clear();
		this.ordered = true;
	}

	get size(): number {
		return this.pc.length;
	}

	/** gdb's buildsym record_line: line 0 is an end marker that replaces rows at its address. */
	record(file: number, line: number, pc: number, isStmt: boolean): void {
		let last = this.lastOf.get(file) ?? NONE;
		if (line === 0) {
			let lastLine: number | undefined;
			while (last !== NONE) {
				lastLine = this.line.get(last);
				if (this.pc.get(last) !== pc) break;
				this.stmt.set(last, REMOVED);
				last = this.previous.get(last);
			}
			this.lastOf.set(file, last);
			if (lastLine === undefined || lastLine === 0) return;
		}
		const length = this.pc.length;
		if (length > 0 && pc < this.pc.get(length - 1)) this.ordered = false;
		this.lastOf.set(file, length);
		this.previous.push(last);
		this.file.push(file);
		this.pc.push(pc);
		this.line.push(line);
		this.stmt.push(isStmt ? 1 : 0);
	}

	/** Flattens what was recorded and hands it to the sink; then starts afresh. */
	finish(): void {
		const rows = this.liveRows();
		const open = new Map<number, number>();
		const starts: number[] = [];
		const files: number[] = [];
		const lines: number[] = [];
		for (let g = 0; g < rows.length; ) {
			const at = this.pc.get(rows[g] as number);
			// Rows at this address, one file at a time (they are grouped by file).
			for (; g < rows.length && this.pc.get(rows[g] as number) === at; ) {
				const file = this.file.get(rows[g] as number);
				let end = g + 1;
				while (
					end < rows.length &&
					this.pc.get(rows[end] as number) === at &&
					this.file.get(rows[end] as number) === file
				) {
					end++;
				}
				const chosen = this.choose(rows, g, end);
				if (chosen === NONE) open.delete(file);
				else open.set(file, chosen);
				g = end;
			}
			let best = NONE;
			for (const row of open.values()) {
				if (best === NONE || this.pc.get(row) > this.pc.get(best)) best = row;
			}
			const file = best === NONE ? NO_FILE : this.file.get(best);
			const line = best === NONE ? 0 : this.line.get(best);
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
		if (files.length > 0 && files[files.length - 1] === NO_FILE)
			this.sink.sequence(starts, files, lines);
		this.reset();
	}

	/**
	 * The live rows by address, and at one address by file, each file's rows as its table holds
	 * them: end markers first, then in the order recorded (gdb's stable sort). Recorded in address
	 * order (the norm), only rows of several files at one address need moving.
	 */
	private liveRows(): Uint32Array {
		const count = this.pc.length;
		const rows = new Uint32Array(count);
		let n = 0;
		for (let i = 0; i < count; i++) if (this.stmt.get(i) !== REMOVED) rows[n++] = i;
		const live = rows.subarray(0, n);
		const rank = new Map<number, number>();
		for (let i = 0; i < n; i++) {
			const file = this.file.get(live[i] as number);
			if (!rank.has(file)) rank.set(file, rank.size);
		}
		if (this.ordered && rank.size === 1) return live;
		const marker = (row: number) => (this.line.get(row) === 0 ? 0 : 1);
		return live.sort(
			(a, b) =>
				this.pc.get(a) - this.pc.get(b) ||
				(rank.get(this.file.get(a)) as number) - (rank.get(this.file.get(b)) as number) ||
				marker(a) - marker(b) ||
				a - b,
		);
	}

	/** The row a lookup lands on among one file's rows[from, to) at one address; NONE: a marker. */
	private choose(rows: Uint32Array, from: number, to: number): number {
		let k = to - 1;
		const last = rows[k] as number;
		if (this.line.get(last) === 0) return NONE;
		while (
			k > from &&
			this.line.get(rows[k - 1] as number) !== 0 &&
			!this.stmt.get(rows[k] as number)
		)
			k--;
		const candidate = rows[k] as number;
		return this.stmt.get(candidate) ? candidate : last;
	}
}
