import type { LineHeader } from "./line-header";
import type { SequenceRecorder } from "./line-sequence";

const ADDRESS_SPACE = 0x100000000;

/**
 * The registers of the DWARF line state machine for one sequence, plus what gdb's state
 * machine remembers between rows to decide which rows to record.
 */
export class MachineState {
	address = 0;
	opIndex = 0;
	file = 1;
	line = 1;
	isStmt: boolean;
	discriminator = 0;
	/** True until the sequence's first DW_LNE_set_address. */
	fresh = true;
	private lineHasNonZeroDiscriminator = false;
	private lastSubfile: number | undefined = undefined;
	private lastLine = 0;
	private lastAddress = 0;
	private stmtAtAddress = false;

	constructor(
		private readonly h: LineHeader,
		private readonly fileId: (index: number) => number | undefined,
	) {
		this.isStmt = h.defaultIsStmt;
	}

	/** Back to the state of a new sequence. */
	reset(): void {
		this.address = 0;
		this.opIndex = 0;
		this.file = 1;
		this.line = 1;
		this.isStmt = this.h.defaultIsStmt;
		this.discriminator = 0;
		this.fresh = true;
		this.lineHasNonZeroDiscriminator = false;
		this.lastSubfile = undefined;
		this.lastLine = 0;
		this.lastAddress = 0;
		this.stmtAtAddress = false;
	}

	/** Advances by `operations` instructions (VLIW-aware, as DWARF 4 defines it). */
	advance(operations: number): void {
		const { minInstLength, maxOpsPerInst } = this.h;
		if (maxOpsPerInst === 1) {
			this.address = (this.address + minInstLength * operations) % ADDRESS_SPACE;
			return;
		}
		const total = this.opIndex + operations;
		this.address =
			(this.address + minInstLength * Math.floor(total / maxOpsPerInst)) % ADDRESS_SPACE;
		this.opIndex = total % maxOpsPerInst;
	}

	advanceLine(delta: number): void {
		this.line = (this.line + delta) >>> 0;
		if (delta !== 0) this.lineHasNonZeroDiscriminator = this.discriminator !== 0;
	}

	setFile(index: number): void {
		this.file = index;
		if (this.fileId(index) !== undefined) {
			this.lineHasNonZeroDiscriminator = this.discriminator !== 0;
		}
	}

	setDiscriminator(value: number): void {
		this.discriminator = value;
		if (value !== 0) this.lineHasNonZeroDiscriminator = true;
	}

	/** Appends a row (or, with `endSequence`, ends the sequence) as gdb's record_line does. */
	recordLine(recorder: SequenceRecorder, endSequence: boolean): void {
		const current = this.fileId(this.file);
		if (current !== undefined && (this.opIndex === 0 || endSequence)) {
			const fileChanged = this.lastSubfile !== current;
			const ignore =
				(fileChanged &&
					!endSequence &&
					this.lastAddress === this.address &&
					!this.isStmt &&
					this.stmtAtAddress) ||
				(!endSequence && this.line === 0);
			if (((fileChanged && !ignore) || endSequence) && this.lastSubfile !== undefined) {
				recorder.record(this.lastSubfile, 0, this.address, true);
			}
			if (!endSequence && !ignore && this.worthRecording(current)) {
				this.lastSubfile = current;
				recorder.record(current, this.line, this.address, this.isStmt);
				this.lastLine = this.line;
			}
		}
		if (this.lastAddress !== this.address) {
			this.stmtAtAddress = false;
			this.lastAddress = this.address;
		}
		if (this.isStmt) this.stmtAtAddress = true;
	}

	/**
	 * Repeats of one line in one file are dropped once a discriminator was seen (gdb up to 15;
	 * later ones also keep a repeat whose column changed).
	 */
	private worthRecording(current: number): boolean {
		return (
			current !== this.lastSubfile ||
			this.line !== this.lastLine ||
			!this.lineHasNonZeroDiscriminator
		);
	}
}
