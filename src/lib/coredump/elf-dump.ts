import { type Arch, chipById, chipMemory, isFakeStackAddress } from "./chip-memory";
import type { DecodedDump, RawException, RawTask, TaskRegisters } from "./decoded";
import { corrupt } from "./dump-error";
import { type ElfCore, parseElfCore } from "./elf-core";
import { inIsrFrom, MAX_TASKS, readCoreNotes, xtensaExceptionFrom } from "./elf-notes";
import type { DumpHeader } from "./header";
import { Memory } from "./memory";
import { readNotes } from "./notes";
import { CURRENT_TASK_MARKER, registersFromStack } from "./stack-frames";

/**
 * An ELF-format dump (versions 1.x, or a bare ELF core): one PRSTATUS note per task (the
 * crashed one first) with its registers, LOAD segments with each task's TCB and stack (in that
 * order), and ESP-IDF's notes with the version, the ELF's SHA-256 prefix, the crashed TCB, the
 * exception registers and the panic reason.
 */
export function decodeElfDump(bytes: Uint8Array, header: DumpHeader | null): DecodedDump {
	const core = parseElfCore(bytes, header === null);
	const notes = readCoreNotes(core.notes.flatMap(readNotes), core.arch);
	if (notes.threads.length === 0) throw corrupt("the ELF core holds no task");
	if (notes.threads.length > MAX_TASKS) throw corrupt("the ELF core holds too many tasks");
	const chipId = header
		? header.chipId
		: notes.infoVersion === null
			? null
			: notes.infoVersion >>> 16;
	const chip = chipId === null ? null : chipById(chipId);
	if (header && chip && chip.arch !== core.arch)
		throw corrupt("the header's chip and the ELF's machine differ");
	const memoryMap = chipMemory(chip && chip.arch === core.arch ? chip.name : null, core.arch);
	const version = header ? (header.major << 8) | header.minor : notes.infoVersion;
	const tasks = notes.threads.map((thread) => rawTask(core, thread, notes.threads, memoryMap));
	const crashed = crashedTcb(notes.extra, tasks);
	if (crashed !== null) moveFirst(tasks, crashed);
	return {
		format: "elf",
		dumpVersion: version === null ? null : `${(version >>> 8) & 0xff}.${version & 0xff}`,
		checksum: header ? header.checksum : null,
		chip: chip && chip.arch === core.arch ? chip.name : null,
		chipRev: header?.chipRev ?? notes.chipRev,
		arch: core.arch,
		memoryMap,
		elfSha256Prefix: notes.elfSha256Prefix,
		crashedTcb: crashed,
		inIsr: inIsrFrom(notes.extra, core.arch),
		panicReason: notes.panicReason,
		exception: exception(core.arch, notes.extra, tasks[0], core),
		tasks,
		memory: new Memory(core.loads),
	};
}

function rawTask(
	core: ElfCore,
	thread: { tcb: number; regs: Uint32Array },
	threads: readonly { tcb: number }[],
	memoryMap: ReturnType<typeof chipMemory>,
): RawTask {
	const registers: TaskRegisters = { arch: core.arch, gregs: thread.regs };
	const sp = (core.arch === "xtensa" ? thread.regs[65] : thread.regs[2]) as number;
	const tcbAt = core.loads.findIndex((load) => load.start === thread.tcb);
	const after = tcbAt >= 0 ? core.loads[tcbAt + 1] : undefined;
	const isTcb = (start: number) => threads.some((t) => t.tcb === start);
	const stackLoad =
		after && !isTcb(after.start)
			? after
			: core.loads.find((l) => sp >= l.start && sp < l.start + l.bytes.length && !isTcb(l.start));
	const fake = stackLoad ? isFakeStackAddress(memoryMap, stackLoad.start) : false;
	return {
		tcb: thread.tcb,
		tcbBytes: tcbAt >= 0 ? (core.loads[tcbAt]?.bytes ?? null) : null,
		registers: fake ? null : registers,
		stack:
			stackLoad && !fake
				? { start: stackLoad.start, end: stackLoad.start + stackLoad.bytes.length }
				: null,
	};
}

/** The extra info names the crashed TCB; 0xDEADBEEF there means the crashed task was skipped. */
function crashedTcb(extra: Uint32Array | null, tasks: readonly RawTask[]): number | null {
	const named = extra && extra.length > 0 ? (extra[0] as number) : null;
	if (named === CURRENT_TASK_MARKER) return null;
	if (named !== null && tasks.some((t) => t.tcb === named)) return named;
	return tasks[0]?.tcb ?? null;
}

function moveFirst(tasks: RawTask[], tcb: number): void {
	const at = tasks.findIndex((t) => t.tcb === tcb);
	if (at > 0) tasks.unshift(...tasks.splice(at, 1));
}

/**
 * Xtensa: the extra info's registers (else the crashed task's exception frame). RISC-V: mcause
 * and mtval of the exception frame that starts the crashed task's dumped stack, when its saved
 * PC is the task's PC.
 */
function exception(
	arch: Arch,
	extra: Uint32Array | null,
	crashed: RawTask | undefined,
	core: ElfCore,
): RawException | null {
	if (arch === "xtensa" && extra) return xtensaExceptionFrom(extra);
	if (!crashed?.stack || !crashed.registers) return null;
	const load = core.loads.find((l) => l.start === crashed.stack?.start);
	const frame = load ? registersFromStack(arch, load.bytes) : null;
	if (!frame || frame.registers.gregs[0] !== crashed.registers.gregs[0]) return null;
	return arch === "riscv" || frame.current ? frame.exception : null;
}
