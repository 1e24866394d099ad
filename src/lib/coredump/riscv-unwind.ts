import type { CodeMap } from "./code-map";
import type { TaskRegisters } from "./decoded";
import type { Memory } from "./memory";
import { MAX_FRAMES, type RawFrame } from "./raw-frame";
import { callerOfReturnAddress, scanForCaller } from "./stack-scan";
import type { UnwindRow } from "./symbolizer";

const RA = 1;
const SP = 2;

type Registers = (number | null)[];

/**
 * The RISC-V backtrace. Each frame's caller comes from the DWARF CFI row at its PC (a caller's
 * at return address − 1): CFA = register + offset, the caller's registers by the row's rules,
 * its SP = the CFA, its PC = the saved return address. Where no row covers the PC (ROM code,
 * hand-written assembly) the stack is scanned for the next return address into app code
 * (frames marked `scanned`, see stack-scan.ts) and CFI resumes from there; registers other
 * than SP are unknown after a scan. Frame 0 without CFI (a crash in ROM) first tries the
 * caller ra names, at the SP above the slot where the frame saved ra, or its own SP for a leaf.
 *
 * Without an ELF (unsymbolized) there is no CFI at all: the backtrace is frame 0 and, when ra
 * holds a code address, its caller as ra names it (marked `scanned`: a guess that holds for
 * leaf functions and crash handlers, not a proven frame). Deeper frames wait for the ELF.
 *
 * The walk stops at a zero or undefined return address (the end of a task's chain), at a
 * return address outside code, at an SP that shrinks, at a repeated (PC, SP), when a CFA
 * register is unknown and no scan finds a caller, and after MAX_FRAMES frames.
 */
export async function unwindRiscv(
	regs: TaskRegisters,
	memory: Memory,
	code: CodeMap,
): Promise<RawFrame[]> {
	let pc = regs.gregs[0] as number;
	let values: Registers = Array.from(regs.gregs, (v, i) => (i === 0 ? 0 : v));
	const frames: RawFrame[] = [{ pc, kind: code.isRom(pc) ? "rom" : "app", caller: false }];
	const symbolizer = code.symbolizer;
	if (!symbolizer) {
		const ra = values[RA] ?? 0;
		if (ra !== 0 && ra !== pc && (await code.isCode(ra - 1))) {
			frames.push({ pc: ra, kind: code.isRom(ra) ? "rom" : "scanned", caller: true });
		}
		return frames;
	}
	const seen = new Set<string>([`${pc}/${values[SP]}`]);
	while (frames.length < MAX_FRAMES) {
		const sp = values[SP];
		if (sp === null || sp === undefined) break;
		const caller = frames.length > 1;
		const row = await symbolizer.unwindAt(caller ? pc - 1 : pc);
		const unwound = row ? applyRow(row, values, memory) : null;
		let next: { pc: number; values: Registers; kind: RawFrame["kind"] } | null = null;
		if (unwound) {
			const ra = unwound.values[row?.returnAddressRegister ?? RA];
			const callerSp = unwound.values[SP] ?? 0;
			if (ra === null || ra === undefined || ra === 0 || callerSp < sp) break;
			if (!(await code.isCode(ra - 1))) break;
			next = { pc: ra, values: unwound.values, kind: code.isRom(ra) ? "rom" : "app" };
		} else {
			const ra = values[RA];
			const raCallerSp =
				!caller &&
				ra &&
				ra !== pc &&
				(await code.isAppCode(ra - 1)) &&
				(await symbolizer.followsCall(ra))
					? await callerOfReturnAddress(memory, code, symbolizer, sp, ra)
					: null;
			if (ra && raCallerSp !== null) {
				next = { pc: ra, values: unknownExceptSp(raCallerSp), kind: "scanned" };
			} else {
				const found = await scanForCaller(memory, code, symbolizer, sp);
				if (!found) break;
				next = { pc: found.pc, values: unknownExceptSp(found.sp), kind: "scanned" };
			}
		}
		const key = `${next.pc}/${next.values[SP]}`;
		if (seen.has(key)) break;
		seen.add(key);
		frames.push({ pc: next.pc, kind: next.kind, caller: true });
		pc = next.pc;
		values = next.values;
	}
	return frames;
}

/** The caller's registers by one CFI row; null when the CFA cannot be computed. */
function applyRow(row: UnwindRow, values: Registers, memory: Memory): { values: Registers } | null {
	if (!row.cfa) return null;
	const base = values[row.cfa.register];
	if (base === null || base === undefined) return null;
	const cfa = (base + row.cfa.offset) >>> 0;
	const next = values.slice();
	next[SP] = cfa;
	for (const [register, rule] of row.rules) {
		if (register <= 0 || register >= next.length) continue;
		if (rule.kind === "offset") next[register] = memory.readU32((cfa + rule.offset) >>> 0);
		else if (rule.kind === "val_offset") next[register] = (cfa + rule.offset) >>> 0;
		else if (rule.kind === "register") next[register] = values[rule.register] ?? null;
		else if (rule.kind === "undefined") next[register] = null;
	}
	return { values: next };
}

function unknownExceptSp(sp: number): Registers {
	const values: Registers = new Array(32).fill(null);
	values[0] = 0;
	values[SP] = sp;
	return values;
}
