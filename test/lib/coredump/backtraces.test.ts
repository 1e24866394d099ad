import { describe, expect, it } from "vitest";
import type { ElfResolver, Frame } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import type { Symbolizer } from "../../../src/lib/coredump/symbolizer";
import { elfImageOf } from "../../fixtures/coredump/dumps";
import { fn } from "../../fixtures/coredump/program";
import { riscvScenario, xtensaScenario } from "../../fixtures/coredump/scenarios";
import { riscvTask, xtensaTask } from "../../fixtures/coredump/task-image";

const NOW = new Date("2025-01-02T03:04:05Z");

function resolveTo(symbolizer: Symbolizer): ElfResolver {
	return async () => ({ symbolizer, matchedBy: "firmware_version", firmwareVersion: "v2" });
}

const names = (frames: readonly Frame[]) => frames.map((f) => `${f.function ?? f.pc}:${f.kind}`);

describe("Xtensa windowed-ABI backtraces", () => {
	const scenario = xtensaScenario();

	it("follow the base save areas through ROM to the task's first frame", async () => {
		const a = await analyzeCoredump(
			await elfImageOf(scenario.spec),
			"v1",
			resolveTo(scenario.symbolizer),
			NOW,
		);
		expect(a.matched_by).toBe("firmware_version");
		expect(names(a.backtrace)).toEqual([
			"panic_abort:app",
			"esp_system_abort:app",
			"abort:app",
			"fail_once:app",
			"0x40007c78:rom",
			"0x4000814b:rom",
			"app_main:app",
			"main_task:app",
			"vPortTaskWrapper:app",
		]);
		expect(names(a.tasks[1]?.backtrace ?? [])).toEqual([
			"0x4000bff0:rom",
			"prvIdleTask:app",
			"vPortTaskWrapper:app",
		]);
	});

	it("give a caller its return address as PC, the call's line, and offset from the function", async () => {
		const a = await analyzeCoredump(
			await elfImageOf(scenario.spec),
			"v1",
			resolveTo(scenario.symbolizer),
			NOW,
		);
		const abort = fn(scenario.functions, "abort").address;
		const panic = fn(scenario.functions, "panic_abort").address;
		expect(a.backtrace[0]).toEqual({
			pc: `0x${(panic + 0x0d).toString(16)}`,
			function: "panic_abort",
			offset: 0x0d,
			file: "main/panic_abort.c",
			line: 100 + 0x0d,
			kind: "app",
		});
		// Return address abort+0x20: looked up at abort+0x1f (the call), offset from abort's start.
		expect(a.backtrace[2]).toEqual({
			pc: `0x${(abort + 0x20).toString(16)}`,
			function: "abort",
			offset: 0x20,
			file: "main/abort.c",
			line: 100 + 0x1f,
			kind: "app",
		});
	});

	it("stop where a save area points back down the stack, and after 64 frames", async () => {
		const looping = xtensaTask({
			tcb: 0x3ffafba0,
			name: "main",
			priority: 1,
			stackEnd: 0x3ffb5110,
			crashed: true,
			chain: [
				{ pc: 0x40081110, frame: 0x20 },
				{ pc: 0x40085110, frame: 0x20 },
				{ pc: 0x4008a6f0, frame: 0x20 },
			],
		});
		// Frame 1's save area names a caller SP below its own: the chain loops.
		looping.stack.set((looping.sps[1] as number) - 12, looping.sps[0] as number);
		const deep = xtensaTask({
			tcb: 0x3ffafba0,
			name: "main",
			priority: 1,
			stackEnd: 0x3ffb5110,
			crashed: true,
			chain: Array.from({ length: 100 }, (_, i) => ({ pc: 0x40081100 + 4 * i, frame: 0x20 })),
		});
		for (const [task, frames] of [
			[looping, 3],
			[deep, 64],
		] as const) {
			const a = await analyzeCoredump(
				await elfImageOf({ ...scenario.spec, tasks: [task] }),
				"v1",
				async () => null,
				NOW,
			);
			expect(a.status).toBe("unsymbolized");
			expect(a.backtrace).toHaveLength(frames);
		}
	});
});

describe("RISC-V CFI backtraces", () => {
	const scenario = riscvScenario();

	it("scan past a ROM frame for the next return address, skipping a stale one", async () => {
		const a = await analyzeCoredump(
			await elfImageOf(scenario.spec),
			"v1",
			resolveTo(scenario.symbolizer),
			NOW,
		);
		expect(names(a.backtrace)).toEqual([
			"panic_abort:app",
			"esp_system_abort:app",
			"abort:app",
			"fail_once:app",
			"0x400485e4:rom",
			"app_main:scanned",
			"main_task:app",
			"vPortTaskWrapper:app",
		]);
		expect(names(a.tasks[1]?.backtrace ?? [])).toEqual(["prvIdleTask:app", "vPortTaskWrapper:app"]);
		expect(a.exception).toEqual({
			arch: "riscv",
			cause: 7,
			name: "Store access fault",
			address: "0x0",
		});
	});

	it("start from ra when the crash is in ROM code", async () => {
		const at = (name: string, offset: number) => fn(scenario.functions, name).address + offset;
		const inRom = riscvTask({
			tcb: 0x3fc8ec30,
			name: "main",
			priority: 1,
			stackEnd: 0x3fc8ec20,
			crashed: true,
			mcause: 5,
			mtval: 0x10,
			chain: [
				{ pc: 0x40001234, frame: 0x20 },
				{ pc: at("app_main", 0x26), frame: 16 },
				{ pc: at("main_task", 0x7a), frame: 32 },
				{ pc: at("vPortTaskWrapper", 0x0c), frame: 32 },
			],
		});
		const a = await analyzeCoredump(
			await elfImageOf({ ...scenario.spec, tasks: [inRom] }),
			"v1",
			resolveTo(scenario.symbolizer),
			NOW,
		);
		expect(names(a.backtrace)).toEqual([
			"0x40001234:rom",
			"app_main:scanned",
			"main_task:app",
			"vPortTaskWrapper:app",
		]);
		expect(a.exception).toEqual({
			arch: "riscv",
			cause: 5,
			name: "Load access fault",
			address: "0x10",
		});
	});

	it("stop when CFI leads back to the same frame", async () => {
		const self: Symbolizer = {
			...scenario.symbolizer,
			// Every frame claims a zero-size frame whose caller is itself.
			unwindAt: async () => ({
				cfa: { register: 2, offset: 0 },
				rules: new Map([[1, { kind: "same" }]]),
				returnAddressRegister: 1,
			}),
		};
		const a = await analyzeCoredump(await elfImageOf(scenario.spec), "v1", resolveTo(self), NOW);
		expect(a.backtrace).toHaveLength(2);
	});
});
