import type { CodeMap } from "./code-map";
import type { Memory } from "./memory";
import type { Symbolizer } from "./symbolizer";

/** How far above the SP a scan looks for a return address (bytes). */
const SCAN_LIMIT = 4096;
/**
 * How far above a found return address the caller's SP may lie: GCC saves ra in the top word
 * of a RISC-V frame, or just below the 32-byte register save area of a variadic function (the
 * ROM's printf family), and SPs are 16-byte aligned.
 */
const MAX_RA_DEPTH = 44;
/** How many frames above a candidate must unwind cleanly before it is believed. */
const CHECKED_STEPS = 3;
const RA = 1;
const SP = 2;

/**
 * Where CFI ends (ROM code has none in the app's ELF), finds the next caller by scanning the
 * stack upwards from `sp` for a word that points into the app's code just after a call that
 * links (`followsCall`). A stale return address left among a frame's locals passes that test
 * too, so a candidate must also unwind: at some 16-byte aligned SP just above the word (see
 * MAX_RA_DEPTH), CFI must carry it further through plausible return addresses (see
 * chainVerdict). The first candidate whose chain is verified wins; failing that, the first
 * whose chain could not be followed to the end (it returns into ROM, or lacks CFI).
 */
export async function scanForCaller(
	memory: Memory,
	code: CodeMap,
	symbolizer: Symbolizer,
	sp: number,
): Promise<{ pc: number; sp: number } | null> {
	const region = memory.regionAt(sp);
	if (!region) return null;
	const scan: Scan = { memory, code, symbolizer, limit: Math.min(region.end, sp + SCAN_LIMIT) };
	let fallback: { pc: number; sp: number } | null = null;
	for (let slot = (sp + 3) & ~3; slot + 4 <= scan.limit; slot += 4) {
		const word = memory.readU32(slot);
		if (word === null || word & 1 || !code.mayBeAppCode(word)) continue;
		if (!(await code.isAppCode(word - 1)) || !(await symbolizer.followsCall(word))) continue;
		const found = await callerSpFor(scan, word, slot + 4);
		if (found?.verified) return { pc: word, sp: found.sp };
		if (found && !fallback) fallback = { pc: word, sp: found.sp };
	}
	return fallback;
}

/**
 * The SP of the caller whose return address `ra` still holds, for a frame 0 without CFI (a
 * crash in ROM): where the frame saved ra on the stack (a slot holding that very value), else
 * the frame's own SP (a leaf that allocated nothing), provided the chain unwinds from there.
 */
export async function callerOfReturnAddress(
	memory: Memory,
	code: CodeMap,
	symbolizer: Symbolizer,
	sp: number,
	ra: number,
): Promise<number | null> {
	const region = memory.regionAt(sp);
	if (!region) return null;
	const scan: Scan = { memory, code, symbolizer, limit: Math.min(region.end, sp + SCAN_LIMIT) };
	for (let slot = (sp + 3) & ~3; slot + 4 <= scan.limit; slot += 4) {
		if (memory.readU32(slot) !== ra) continue;
		const found = await callerSpFor(scan, ra, slot + 4);
		if (found) return found.sp;
	}
	return (await callerSpFor(scan, ra, sp))?.sp ?? null;
}

interface Scan {
	memory: Memory;
	code: CodeMap;
	symbolizer: Symbolizer;
	limit: number;
}

/** Where above `above` the frame of `pc` can start, and whether its chain is verified. */
async function callerSpFor(
	scan: Scan,
	pc: number,
	above: number,
): Promise<{ sp: number; verified: boolean } | null> {
	const first = (above + 15) & ~15;
	const row = await scan.symbolizer.unwindAt(pc - 1);
	if (!row?.cfa || row.cfa.register !== SP) return { sp: first, verified: false };
	let partial: { sp: number; verified: boolean } | null = null;
	for (let sp = first; sp - above <= MAX_RA_DEPTH; sp += 16) {
		const verdict = await chainVerdict(scan, pc, sp, CHECKED_STEPS);
		if (verdict === "verified") return { sp, verified: true };
		if (verdict === "partial" && !partial) partial = { sp, verified: false };
	}
	return partial;
}

/**
 * Whether CFI unwinds `steps` frames up from (pc, sp) through saved return addresses in app
 * code after a call, or to a frame whose CFI marks ra undefined (a task's first frame):
 * `verified`. `partial` when the chain returns into ROM or reaches code CFI cannot follow (no
 * row, a CFA not based on SP) before that; `broken` when a saved return address is
 * implausible.
 */
async function chainVerdict(
	scan: Scan,
	pc: number,
	sp: number,
	steps: number,
): Promise<"verified" | "partial" | "broken"> {
	if (steps === 0) return "verified";
	const row = await scan.symbolizer.unwindAt(pc - 1);
	if (!row?.cfa || row.cfa.register !== SP) return "partial";
	const rule = row.rules.get(row.returnAddressRegister ?? RA);
	if (rule?.kind === "undefined") return "verified";
	// A function that made a call saved its return address; no rule means a leaf: implausible.
	if (rule?.kind !== "offset") return "broken";
	const cfa = sp + row.cfa.offset;
	if (cfa < sp || cfa > scan.limit) return "broken";
	const saved = scan.memory.readU32(cfa + rule.offset);
	if (saved === null || saved === 0 || saved & 1) return "broken";
	if (scan.code.isRom(saved)) return "partial";
	if (!(await scan.code.isAppCode(saved - 1)) || !(await scan.symbolizer.followsCall(saved))) {
		return "broken";
	}
	return chainVerdict(scan, saved, cfa, steps - 1);
}
