import { type CoredumpAnalysis, type ElfResolver, noCrash, type TaskAnalysis } from "./analysis";
import { CodeMap } from "./code-map";
import { decodeDump } from "./decode";
import type { DecodedDump } from "./decoded";
import { DumpError } from "./dump-error";
import { crashException } from "./exceptions";
import { hex } from "./hex";
import { namedRegisters } from "./registers";
import { crashSignature } from "./signature";
import type { Symbolizer } from "./symbolizer";
import { analyzeTask } from "./tasks";

/**
 * Decodes one core dump (any form: raw partition image, bare ELF core, UART text) and, when
 * `resolveElf` finds the firmware's ELF, names its frames. Bad input never throws: a damaged
 * dump comes back `failed` with its error code, one with no ELF `unsymbolized`. What does
 * throw is a failure of `resolveElf` or of the symbolizer (storage), so the caller can retry.
 */
export async function analyzeCoredump(
	bytes: Uint8Array,
	deviceFirmwareVersion: string,
	resolveElf: ElfResolver,
	now: Date,
): Promise<CoredumpAnalysis> {
	const decodedAt = now.toISOString();
	let dump: DecodedDump;
	try {
		dump = await decodeDump(bytes);
	} catch (error) {
		return failed(error, deviceFirmwareVersion, decodedAt);
	}
	const match = await resolveElf({
		elfSha256Prefix: dump.elfSha256Prefix,
		firmwareVersion: deviceFirmwareVersion,
		chip: dump.chip,
	});
	const guard = guarded(match?.symbolizer ?? null);
	const code = new CodeMap(dump.memoryMap, guard.symbolizer);
	const tasks: TaskAnalysis[] = [];
	try {
		for (const task of dump.tasks) tasks.push(await analyzeTask(task, dump, code));
	} catch (error) {
		if (guard.failed) throw error;
		return failed(error, deviceFirmwareVersion, decodedAt);
	}
	const first = tasks[0];
	const registers = dump.tasks[0]?.registers;
	const analysis: CoredumpAnalysis = {
		status: match ? "decoded" : "unsymbolized",
		error_code: null,
		format: dump.format,
		dump_version: dump.dumpVersion,
		checksum: dump.checksum,
		chip: dump.chip,
		chip_rev: dump.chipRev,
		elf_sha256_prefix: dump.elfSha256Prefix,
		firmware_version: match ? match.firmwareVersion : deviceFirmwareVersion,
		matched_by: match ? match.matchedBy : null,
		crashed_task:
			dump.crashedTcb !== null && first ? { tcb: hex(dump.crashedTcb), name: first.name } : null,
		in_isr: dump.inIsr,
		panic_reason: dump.panicReason,
		exception: crashException(dump.exception),
		registers: registers ? namedRegisters(registers, dump.exception) : null,
		backtrace: first?.backtrace ?? [],
		tasks,
		signature: null,
		decoded_at: decodedAt,
	};
	analysis.signature = crashSignature(analysis)?.signature ?? null;
	return analysis;
}

function failed(error: unknown, firmwareVersion: string, decodedAt: string): CoredumpAnalysis {
	const known = error instanceof DumpError ? error : null;
	const facts = known?.facts ?? null;
	return {
		status: "failed",
		error_code: known ? known.code : "DUMP_CORRUPT",
		format: facts?.format ?? null,
		dump_version: facts?.dumpVersion ?? null,
		checksum: facts?.checksum ?? null,
		chip: facts?.chip ?? null,
		chip_rev: facts?.chipRev ?? null,
		elf_sha256_prefix: null,
		firmware_version: firmwareVersion,
		...noCrash(),
		decoded_at: decodedAt,
	};
}

/**
 * The symbolizer, noting whether one of its calls failed: such a failure (storage) must reach
 * the caller, while any other error while unwinding is the dump's fault.
 */
function guarded(symbolizer: Symbolizer | null): {
	symbolizer: Symbolizer | null;
	failed: boolean;
} {
	const state = { symbolizer: null as Symbolizer | null, failed: false };
	if (!symbolizer) return state;
	const wrap =
		<A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
		async (...args: A): Promise<R> => {
			try {
				return await call(...args);
			} catch (error) {
				state.failed = true;
				throw error;
			}
		};
	state.symbolizer = {
		functionAt: wrap((a: number) => symbolizer.functionAt(a)),
		lineAt: wrap((a: number) => symbolizer.lineAt(a)),
		isCode: wrap((a: number) => symbolizer.isCode(a)),
		followsCall: wrap((a: number) => symbolizer.followsCall(a)),
		unwindAt: wrap((a: number) => symbolizer.unwindAt(a)),
	};
	return state;
}
