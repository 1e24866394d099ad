import type { Frame, TaskAnalysis } from "./analysis";
import type { CodeMap } from "./code-map";
import { type DecodedDump, pcOf, type RawTask } from "./decoded";
import { hex } from "./hex";
import type { RawFrame } from "./raw-frame";
import { unwindRiscv } from "./riscv-unwind";
import { symbolizeFrames } from "./symbolize";
import { readTcb, stackUse } from "./tcb";
import { unwindXtensa } from "./xtensa-unwind";

/**
 * One task of the dump as the API shows it: name and priority from its TCB, its dumped stack
 * with the use esp-coredump computes from the TCB, its PC and backtrace. A task whose TCB the
 * dump lacks has an empty name; one whose stack was faked (broken SP) has no PC or frames.
 */
export async function analyzeTask(
	task: RawTask,
	dump: DecodedDump,
	code: CodeMap,
): Promise<TaskAnalysis> {
	const tcb = task.tcbBytes ? readTcb(task.tcbBytes) : null;
	const use = tcb ? stackUse(tcb) : null;
	return {
		tcb: hex(task.tcb),
		name: tcb?.name ?? "",
		priority: tcb?.priority ?? null,
		stack:
			task.stack && use
				? { start: hex(task.stack.start), end: hex(task.stack.end), used: use.used, free: use.free }
				: null,
		pc: task.registers ? hex(pcOf(task.registers)) : null,
		backtrace: await backtrace(task, dump, code),
	};
}

async function backtrace(task: RawTask, dump: DecodedDump, code: CodeMap): Promise<Frame[]> {
	if (!task.registers) return [];
	const raw: RawFrame[] =
		task.registers.arch === "xtensa"
			? await unwindXtensa(task.registers, dump.memory, code)
			: await unwindRiscv(task.registers, dump.memory, code);
	return symbolizeFrames(raw, code.symbolizer);
}
