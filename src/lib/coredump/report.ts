import type { CoredumpAnalysis, Frame, TaskAnalysis } from "./analysis";
import { registerLines } from "./report-registers";

/** Where a report's dump came from, printed in its heading when known. */
export interface ReportMeta {
	deviceKey?: string;
	coredumpId?: string | number;
	uploadedAt?: string;
	size?: number;
}

const RULE = "===============================================================";

/**
 * An analysis as text, laid out like `esp-coredump info_corefile`: crashed task, ISR context,
 * panic reason, the crashed task's registers and stack, the task table (TCB, name, priority,
 * stack used/free) and every task's stack. Frames read like gdb's `bt`; ROM frames and frames
 * found by a stack scan say so.
 */
export function formatReport(analysis: CoredumpAnalysis, meta: ReportMeta = {}): string {
	const out: string[] = [
		RULE,
		"==================== ESP32 CORE DUMP START ====================",
		"",
	];
	out.push(...headingLines(analysis, meta), "");
	if (analysis.status === "failed" || analysis.status === "pending") {
		out.push(
			analysis.status === "failed"
				? `The core dump could not be decoded: ${analysis.error_code ?? "DUMP_CORRUPT"}.`
				: "The core dump has not been analysed yet.",
		);
		return [...out, "", ...endLines()].join("\n");
	}
	const crashed = analysis.crashed_task;
	out.push(
		crashed
			? `Crashed task handle: ${crashed.tcb}, name: '${crashed.name}'`
			: "Crashed task has been skipped.",
	);
	if (analysis.in_isr !== null) {
		out.push(
			analysis.in_isr
				? "Crash happened in the interrupt context"
				: "Crashed task is not in the interrupt context",
		);
	}
	if (analysis.panic_reason) out.push(`Panic reason: ${analysis.panic_reason}`);
	out.push("", "================== CURRENT THREAD REGISTERS ===================");
	out.push(...registerLines(analysis));
	out.push("", "==================== CURRENT THREAD STACK =====================");
	out.push(...frameLines(analysis.backtrace));
	out.push("", "======================== THREADS INFO =========================");
	out.push(...taskTable(analysis.tasks));
	analysis.tasks.forEach((task, i) => {
		out.push(
			"",
			`==================== THREAD ${i + 1} (TCB: ${task.tcb}, name: '${task.name}') =====================`,
			...frameLines(task.backtrace),
		);
	});
	return [...out, "", ...endLines()].join("\n");
}

function headingLines(analysis: CoredumpAnalysis, meta: ReportMeta): string[] {
	const lines: string[] = [];
	const source = [
		meta.coredumpId !== undefined ? `Core dump ${meta.coredumpId}` : "Core dump",
		meta.deviceKey ? `of device ${meta.deviceKey}` : "",
		meta.uploadedAt ? `uploaded ${meta.uploadedAt}` : "",
		meta.size !== undefined ? `(${meta.size} bytes)` : "",
	];
	lines.push(source.filter(Boolean).join(" "));
	if (analysis.format) {
		const rev = analysis.chip_rev !== null ? ` rev ${analysis.chip_rev}` : "";
		const checksum = analysis.checksum ? `, ${analysis.checksum}` : "";
		lines.push(
			`Chip: ${analysis.chip ?? "unknown"}${rev}; format ${analysis.format} ${analysis.dump_version ?? ""}${checksum}`,
		);
	}
	const firmware = analysis.firmware_version ?? "unknown";
	const match =
		analysis.matched_by === "elf_sha256"
			? `ELF matched by SHA-256 ${analysis.elf_sha256_prefix ?? ""}`
			: analysis.matched_by === "firmware_version"
				? "ELF matched by firmware version"
				: "no ELF matched: addresses only";
	lines.push(`Firmware: ${firmware} (${match})`);
	return lines;
}

function frameLines(frames: readonly Frame[]): string[] {
	if (frames.length === 0)
		return ["No backtrace: the task's stack was not dumped or is corrupted."];
	return frames.map((frame, i) => {
		const where = frame.function ? `${frame.function} ()` : "?? ()";
		const at = frame.file ? ` at ${frame.file}:${frame.line ?? "?"}` : "";
		const note =
			frame.kind === "rom" ? "  [ROM]" : frame.kind === "scanned" ? "  [found by stack scan]" : "";
		return `${`#${i}`.padEnd(4)}${frame.pc} in ${where}${at}${note}`;
	});
}

function taskTable(tasks: readonly TaskAnalysis[]): string[] {
	const row = (a: string, b: string, c: string, d: string) =>
		`${a.padStart(10)}${b.padStart(17)}${c.padStart(9)}${d.padStart(17)}`;
	const lines = [
		row("TCB", "NAME", "PRIO", "STACK USED/FREE"),
		"---------- ---------------- -------- ----------------",
	];
	for (const task of tasks) {
		if (!task.stack && task.priority === null) {
			lines.push(`${task.tcb.padStart(10)} Corrupted TCB data`);
			continue;
		}
		const use = task.stack ? `${task.stack.used}/${task.stack.free}` : "?";
		lines.push(row(task.tcb, task.name, task.priority === null ? "?" : String(task.priority), use));
	}
	return lines;
}

function endLines(): string[] {
	return ["===================== ESP32 CORE DUMP END =====================", RULE];
}
