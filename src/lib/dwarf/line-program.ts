import { elfError, elfInvalid } from "../elf/elf-error";
import type { RangeReader } from "../elf/range-reader";
import type { LineHeader } from "./line-header";
import type { SequenceRecorder } from "./line-sequence";
import { MachineState } from "./line-state";

const SECTION = ".debug_line";
/** Bytes made readable before each opcode: more than any opcode but an extended one needs. */
const OPCODE_BYTES = 64;
/** Largest extended opcode read into memory (DW_LNE_define_file); larger ones are skipped. */
const MAX_EXTENDED_BYTES = 64 * 1024;

/**
 * Runs the line program of one unit (the reader at its first opcode) and records its rows the
 * way gdb's line state machine does: rows of line 0 are dropped, a file switch ends the
 * previous file's range, a non-statement row at an address where a statement row was seen in
 * another file is dropped, and repeats of one line in one file are coalesced only where a
 * discriminator was seen. `fileId` maps a file index of the unit to a path id (undefined: no
 * such file, the row is not recorded).
 */
export async function runLineProgram(
	r: RangeReader,
	h: LineHeader,
	fileId: (index: number) => number | undefined,
	recorder: SequenceRecorder,
	maxRows: number,
	inCode: (address: number) => boolean,
): Promise<void> {
	const s = new MachineState(h, fileId);
	recorder.reset();
	while (r.pos < h.end) {
		if (r.available() < OPCODE_BYTES) await r.fill(OPCODE_BYTES);
		const op = r.u8();
		if (op >= h.opcodeBase) {
			const adjusted = op - h.opcodeBase;
			s.advanceLine(h.lineBase + (adjusted % h.lineRange));
			s.advance(Math.floor(adjusted / h.lineRange));
			s.recordLine(recorder, false);
			s.discriminator = 0;
		} else if (op === 0) {
			const length = r.uleb();
			const start = r.pos;
			if (length === 0) continue;
			if (length > h.end - start)
				throw elfInvalid("an opcode runs past its unit", { section: SECTION });
			if (length <= MAX_EXTENDED_BYTES && r.available() < length) await r.fill(length);
			const sub = length <= MAX_EXTENDED_BYTES ? r.u8() : 0x80;
			if (sub === 1) {
				s.recordLine(recorder, true);
				recorder.finish();
				s.reset();
			} else if (sub === 2) {
				const size = length - 1;
				if (size === 1 || size === 2 || size === 4 || size === 8) {
					s.address = r.unsigned(size) % 0x100000000;
					s.opIndex = 0;
					if (s.fresh && !inCode(s.address)) {
						// Code the linker discarded (or not code at all): nothing to keep, as gdb
						// keeps nothing of a sequence at address 0. Skip to its end.
						r.seek(start + length);
						await skipSequence(r, h);
						recorder.reset();
						s.reset();
						continue;
					}
					s.fresh = false;
				}
			} else if (sub === 3 && h.version <= 4) {
				const name = r.cstring();
				h.files.push({ name, dir: r.uleb() });
			} else if (sub === 4) {
				s.setDiscriminator(r.uleb());
			}
			r.seek(start + length);
		} else {
			runStandard(op, r, h, s, recorder);
		}
		if (recorder.size > maxRows) {
			throw elfError("ELF_INDEX_TOO_LARGE", "too many line rows", { limit: maxRows });
		}
	}
	if (r.pos > h.end) throw elfInvalid("a line program runs past its unit", { section: SECTION });
}

/** Reads opcodes up to and including the sequence's DW_LNE_end_sequence, recording nothing. */
async function skipSequence(r: RangeReader, h: LineHeader): Promise<void> {
	const { opcodeBase, standardLengths } = h;
	while (r.pos < h.end) {
		if (r.available() < OPCODE_BYTES) await r.fill(OPCODE_BYTES);
		const { bytes, index } = r.window();
		// Tight loop over special and standard opcodes, up to a margin any operand fits in.
		const limit = index + Math.min(r.available(), h.end - r.pos) - 32;
		let i = index;
		while (i < limit) {
			const op = bytes[i] as number;
			if (op >= opcodeBase) {
				i++;
			} else if (op === 0) {
				break;
			} else if (op === 9) {
				i += 3;
			} else {
				i++;
				for (let n = standardLengths[op - 1] ?? 0; n > 0; n--) {
					while ((bytes[i++] as number) & 0x80 && i < limit + 32);
				}
			}
		}
		r.skip(i - index);
		if (r.pos >= h.end) break;
		if (r.available() < OPCODE_BYTES) await r.fill(OPCODE_BYTES);
		const op = r.u8();
		if (op >= opcodeBase) continue;
		if (op !== 0) {
			if (op === 9) r.skip(2);
			else for (let n = standardLengths[op - 1] ?? 0; n > 0; n--) r.uleb();
			continue;
		}
		const length = r.uleb();
		const start = r.pos;
		if (length === 0) continue;
		if (length > h.end - start)
			throw elfInvalid("an opcode runs past its unit", { section: SECTION });
		if (r.available() < 1) await r.fill(1);
		const sub = r.u8();
		r.seek(start + length);
		if (sub === 1) return;
	}
}

function runStandard(
	op: number,
	r: RangeReader,
	h: LineHeader,
	s: MachineState,
	recorder: SequenceRecorder,
): void {
	switch (op) {
		case 1: // copy
			s.recordLine(recorder, false);
			s.discriminator = 0;
			return;
		case 2: // advance_pc
			s.advance(r.uleb());
			return;
		case 3: // advance_line
			s.advanceLine(r.sleb());
			return;
		case 4: // set_file
			s.setFile(r.uleb());
			return;
		case 5: // set_column
			r.uleb();
			return;
		case 6: // negate_stmt
			s.isStmt = !s.isStmt;
			return;
		case 8: // const_add_pc
			s.advance(Math.floor((255 - h.opcodeBase) / h.lineRange));
			return;
		case 9: // fixed_advance_pc
			s.address = (s.address + r.u16()) % 0x100000000;
			s.opIndex = 0;
			return;
		default: {
			// basic_block, prologue_end, epilogue_begin, set_isa and opcodes unknown to DWARF 5:
			// skip the operand count the header declares.
			const operands = h.standardLengths[op - 1] ?? 0;
			for (let i = 0; i < operands; i++) r.uleb();
		}
	}
}
