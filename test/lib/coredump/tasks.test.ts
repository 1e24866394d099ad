import { describe, expect, it } from "vitest";
import type { ElfResolver, Frame } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import type { Symbolizer } from "../../../src/lib/coredump/symbolizer";
import { binaryImageOf, elfImageOf } from "../../fixtures/coredump/dumps";
import { isrCrash } from "../../fixtures/coredump/isr";
import { riscvScenario, xtensaScenario } from "../../fixtures/coredump/scenarios";
import { xtensaTask } from "../../fixtures/coredump/task-image";

const NOW = new Date("2025-01-02T03:04:05Z");

function resolveTo(symbolizer: Symbolizer): ElfResolver {
	return async () => ({ symbolizer, matchedBy: "firmware_version", firmwareVersion: "v2" });
}

const names = (frames: readonly Frame[]) => frames.map((f) => `${f.function ?? f.pc}:${f.kind}`);

describe("crashes in an interrupt handler", () => {
	it("walk from the ISR stack into the interrupted task's stack, in both formats", async () => {
		const isr = isrCrash();
		const elf = await analyzeCoredump(
			await elfImageOf(isr.spec),
			"v1",
			resolveTo(isr.symbolizer),
			NOW,
		);
		expect(elf.in_isr).toBe(true);
		expect(elf.exception?.name).toBe("LoadProhibited");
		expect(elf.exception?.address).toBe("0x10");
		const expected = [
			"my_isr:app",
			"isr_dispatch:app",
			"app_main:app",
			"main_task:app",
			"vPortTaskWrapper:app",
		];
		expect(names(elf.backtrace)).toEqual(expected);
		// The crashed task's dumped stack is the ISR stack, from the exception frame.
		expect(elf.tasks[0]?.stack?.start).toBe(`0x${isr.isrStack.base.toString(16)}`);

		const binary = await binaryImageOf(0, [isr.crashed], 3, [
			{ start: isr.taskStack.base, bytes: isr.taskStack.bytes },
		]);
		const fromBinary = await analyzeCoredump(binary, "v1", resolveTo(isr.symbolizer), NOW);
		expect(fromBinary.in_isr).toBeNull();
		expect(names(fromBinary.backtrace)).toEqual(expected);
	});
});

describe("tasks ESP-IDF could not dump whole", () => {
	it("a task with a fake stack keeps its name, with no PC, stack or frames", async () => {
		const scenario = xtensaScenario();
		const [main, idle] = scenario.tasks;
		if (!main || !idle) throw new Error("scenario without tasks");
		// ESP-IDF's stand-in for a broken stack: a small frame at 0x20000000 with PC 0x20000000.
		const fake = xtensaTask({
			tcb: idle.tcb,
			name: "IDLE1",
			priority: 0,
			stackEnd: 0x20000000 + 0x80 + 32,
			chain: [{ pc: 0x20000000, frame: 16 }],
		});
		expect(fake.stackStart).toBe(0x20000000);
		const tasks = [main, { ...fake, tcbBytes: idle.tcbBytes }];
		for (const image of [
			await elfImageOf({ ...scenario.spec, tasks }),
			await binaryImageOf(0, tasks, 3),
		]) {
			const a = await analyzeCoredump(image, "v1", resolveTo(scenario.symbolizer), NOW);
			expect(a.status).toBe("decoded");
			expect(a.tasks[1]).toEqual({
				tcb: `0x${idle.tcb.toString(16)}`,
				name: "IDLE1",
				priority: 0,
				stack: null,
				pc: null,
				backtrace: [],
			});
			expect(a.tasks[0]?.backtrace.length).toBeGreaterThan(5);
		}
	});

	it("a skipped crashed task (marker in the extra info) leaves crashed_task null", async () => {
		const scenario = xtensaScenario();
		const a = await analyzeCoredump(
			await elfImageOf({ ...scenario.spec, crashedTcb: 0xdeadbeef }),
			"v1",
			resolveTo(scenario.symbolizer),
			NOW,
		);
		expect(a.status).toBe("decoded");
		expect(a.crashed_task).toBeNull();
		expect(a.tasks).toHaveLength(2);
	});

	it("the crashed task comes first even when its note is not", async () => {
		const scenario = riscvScenario();
		const [main, idle] = scenario.tasks;
		if (!main || !idle) throw new Error("scenario without tasks");
		const a = await analyzeCoredump(
			await elfImageOf({ ...scenario.spec, tasks: [idle, main], crashedTcb: main.tcb }),
			"v1",
			resolveTo(scenario.symbolizer),
			NOW,
		);
		expect(a.crashed_task).toEqual({ tcb: `0x${main.tcb.toString(16)}`, name: "main" });
		expect(a.tasks.map((t) => t.name)).toEqual(["main", "IDLE"]);
	});
});
