import { describe, expect, it } from "vitest";
import type { CoredumpAnalysis, Frame } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import { crashSignature } from "../../../src/lib/coredump/signature";
import { binaryImageOf, elfImageOf } from "../../fixtures/coredump/dumps";
import { riscvScenario, type Scenario, xtensaScenario } from "../../fixtures/coredump/scenarios";

const NOW = new Date("2025-01-02T03:04:05Z");

async function analyzed(scenario: Scenario, format: "elf" | "binary" = "elf", named = true) {
	const image =
		format === "elf"
			? await elfImageOf(scenario.spec)
			: await binaryImageOf(scenario.chipId, scenario.tasks, 3);
	return analyzeCoredump(
		image,
		"v3",
		async () =>
			named
				? { symbolizer: scenario.symbolizer, matchedBy: "elf_sha256", firmwareVersion: "v3" }
				: null,
		NOW,
	);
}

function frame(fn: string | null, kind: Frame["kind"] = "app", pc = "0x400d0000"): Frame {
	return { pc, function: fn, offset: fn ? 4 : null, file: null, line: null, kind };
}

function analysisWith(backtrace: Frame[], more: Partial<CoredumpAnalysis> = {}): CoredumpAnalysis {
	return {
		status: "decoded",
		error_code: null,
		format: "elf",
		dump_version: "1.2",
		checksum: "crc32",
		chip: "esp32",
		chip_rev: 300,
		elf_sha256_prefix: "1b43c5e74",
		firmware_version: "v1",
		matched_by: "elf_sha256",
		crashed_task: { tcb: "0x3ffafba0", name: "main" },
		in_isr: false,
		panic_reason: null,
		exception: { arch: "xtensa", cause: 28, name: "LoadProhibited", address: "0x0", epc: [] },
		registers: {},
		backtrace,
		tasks: [],
		signature: null,
		decoded_at: NOW.toISOString(),
		...more,
	};
}

describe.each([
	["Xtensa", xtensaScenario],
	["RISC-V", riscvScenario],
] as const)("crash signatures of real-shaped crashes (%s)", (_, make) => {
	it("stay the same when the firmware is relinked and every address moves", async () => {
		const before = await analyzed(make());
		const after = await analyzed(make({ shift: 0x40 }));
		expect(after.backtrace.map((f) => f.pc)).not.toEqual(before.backtrace.map((f) => f.pc));
		expect(after.signature).toBe(before.signature);
		expect(crashSignature(before)).toEqual({
			signature: before.signature,
			title: "abort() in fail_once ← app_main",
			kind: "abort",
			frames: ["fail_once", "app_main", "main_task"],
		});
	});

	it("stay the same in the ELF and the binary format", async () => {
		expect((await analyzed(make(), "binary")).signature).toBe(
			(await analyzed(make(), "elf")).signature,
		);
	});

	it("differ when abort() is called from elsewhere", async () => {
		const elsewhere = await analyzed(make({ hook: "other_hook" }));
		expect(elsewhere.signature).not.toBe((await analyzed(make())).signature);
		expect(crashSignature(elsewhere)?.title).toBe("abort() in other_hook ← app_main");
	});

	it("are provisional, by address, until the ELF is known", async () => {
		const first = await analyzed(make(), "elf", false);
		const again = await analyzed(make(), "elf", false);
		const relinked = await analyzed(make({ shift: 0x40 }), "elf", false);
		expect(first.signature).toMatch(/^pc:[0-9a-f]{16}$/);
		expect(again.signature).toBe(first.signature);
		expect(relinked.signature).not.toBe(first.signature);
		expect(crashSignature(first)?.title).toMatch(/^abort\(\) at 0x[0-9a-f]+ \(unsymbolized\)$/);
	});
});

describe("the signature rule", () => {
	const app = [
		frame("fail_once"),
		frame("app_main"),
		frame("main_task"),
		frame("vPortTaskWrapper"),
	];

	it("skips the panic machinery and ROM frames, and takes three names", () => {
		const machinery = [
			frame("panic_abort"),
			frame("panic_print_backtrace"),
			frame("esp_system_abort"),
			frame("abort"),
			frame("__assert_func"),
			frame("esp_panic_handler"),
			frame("xt_unhandled_exception"),
			frame(null, "rom", "0x40007c78"),
		];
		const signature = crashSignature(analysisWith([...machinery, ...app]));
		expect(signature?.frames).toEqual(["fail_once", "app_main", "main_task"]);
		expect(signature?.kind).toBe("assert");
		expect(signature?.title).toBe("assert failed in fail_once ← app_main");
	});

	it("names the kind: assert over abort, else the exception", () => {
		const kind = (frames: Frame[]) => crashSignature(analysisWith(frames))?.kind;
		expect(kind([frame("abort"), frame("__assert_func"), ...app])).toBe("assert");
		expect(kind([frame("abort"), ...app])).toBe("abort");
		expect(kind(app)).toBe("LoadProhibited");
		const sig = (frames: Frame[]) => crashSignature(analysisWith(frames))?.signature;
		expect(sig([frame("abort"), ...app])).not.toBe(sig(app));
	});

	it("scanned frames count as app code", () => {
		const scanned = [
			frame("fail_once"),
			frame(null, "rom"),
			frame("app_main", "scanned"),
			frame("main_task"),
		];
		expect(crashSignature(analysisWith(scanned))?.signature).toBe(
			crashSignature(analysisWith(app))?.signature,
		);
	});

	it("falls back to addresses when no frame has a name", () => {
		const unnamed = analysisWith([
			frame(null, "app", "0x400d1234"),
			frame(null, "rom", "0x40007c78"),
		]);
		expect(crashSignature(unnamed)?.signature).toMatch(/^pc:/);
		expect(crashSignature(unnamed)?.title).toBe("LoadProhibited at 0x400d1234 (unsymbolized)");
	});

	it("gives none for dumps that were not decoded", () => {
		expect(
			crashSignature(analysisWith(app, { status: "failed", error_code: "DUMP_CORRUPT" })),
		).toBeNull();
		expect(crashSignature(analysisWith(app, { status: "pending" }))).toBeNull();
	});
});
