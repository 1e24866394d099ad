import { describe, expect, it } from "vitest";
import type { CoredumpAnalysis, ElfResolver, Frame } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import {
	type ExpectedFrame,
	memoryWords,
	parseExpectedOutput,
	withoutEndMarker,
} from "../../helpers/coredump/expected-output";
import { factsSymbolizer } from "../../helpers/coredump/facts-symbolizer";
import { REAL_DUMPS, type RealDump, rawImage } from "../../helpers/coredump/real-dumps";

const NOW = new Date("2025-01-02T03:04:05.000Z");

/** What the dumps' README says of each: header version, checksum, task count. */
const HEADERS = {
	esp32: { version: "1.2", checksum: "crc32", tasks: 6, rom: [0x40000000, 0x40070000] },
	esp32c3: { version: "1.2", checksum: "crc32", tasks: 3, rom: [0x40000000, 0x40060000] },
	esp32c6: { version: "1.4", checksum: "sha256", tasks: 3, rom: [0x40000000, 0x40050000] },
} as const;

function resolverFor(dump: RealDump): ElfResolver {
	const symbolizer = factsSymbolizer(dump.facts);
	return async () => ({ symbolizer, matchedBy: "elf_sha256", firmwareVersion: "v1.0-elf" });
}

/** The bare ELF core inside the partition image: no header, no checksum. */
function bareElf(dump: RealDump): Uint8Array {
	const image = rawImage(dump);
	const start = image.findIndex(
		(b, i) => b === 0x7f && image[i + 1] === 0x45 && image[i + 2] === 0x4c,
	);
	return image.subarray(start, image.length - (HEADERS[dump.chip].checksum === "sha256" ? 32 : 4));
}

const FORMS: [string, (d: RealDump) => Uint8Array][] = [
	["UART text", (d) => new TextEncoder().encode(d.uart)],
	["partition image", rawImage],
	["bare ELF core", bareElf],
];

function isRom(dump: RealDump, pc: string): boolean {
	const [low, high] = HEADERS[dump.chip].rom;
	const value = Number.parseInt(pc, 16);
	return value >= low && value < high;
}

/**
 * Frames in app code carry gdb's PCs and function names, in gdb's order; ROM frames we find
 * are ones gdb found (gdb also had the ROM's ELF, so it sees ROM frames a stack scan skips).
 * Where gdb stopped in ROM (no ROM ELF for the chip) the decoder may go further.
 */
function expectSameFrames(
	dump: RealDump,
	ours: readonly Frame[],
	gdb: readonly ExpectedFrame[],
	pc0: string | null,
) {
	const expected = withoutEndMarker(gdb).map((f, i) =>
		i === 0 && f.pc === null ? { ...f, pc: pc0 } : f,
	);
	const gdbApp = expected.filter((f) => f.pc === null || !isRom(dump, f.pc));
	const ourApp = ours.filter((f) => f.kind !== "rom");
	const stoppedInRom =
		expected.length > 0 && isRom(dump, expected[expected.length - 1]?.pc ?? "0x0");
	const compared = stoppedInRom ? ourApp.slice(0, gdbApp.length) : ourApp;
	expect(compared.map((f) => [f.pc, f.function])).toEqual(
		gdbApp.map((f) => [f.pc === null ? null : hex(f.pc), f.function]),
	);
	const gdbRom = new Set(
		expected.filter((f) => f.pc && isRom(dump, f.pc)).map((f) => hex(f.pc as string)),
	);
	for (const frame of ours.filter((f) => f.kind === "rom")) {
		expect(gdbRom.has(frame.pc) || stoppedInRom).toBe(true);
		expect(frame.function).toBeNull();
	}
}

function hex(pc: string): string {
	return `0x${Number.parseInt(pc, 16).toString(16)}`;
}

describe.each(REAL_DUMPS.map((d) => [d.chip, d] as const))("the real %s dump", (chip, dump) => {
	const expected = parseExpectedOutput(dump.expected);

	describe.each(FORMS)("as a %s", (form, bytesOf) => {
		let analysis: CoredumpAnalysis;
		it("decodes with the ELF's facts", async () => {
			analysis = await analyzeCoredump(bytesOf(dump), "v0-device", resolverFor(dump), NOW);
			expect(analysis.status).toBe("decoded");
			expect(analysis.error_code).toBeNull();
			expect(analysis.format).toBe("elf");
			expect(analysis.dump_version).toBe(HEADERS[chip].version);
			expect(analysis.checksum).toBe(form === "bare ELF core" ? null : HEADERS[chip].checksum);
			expect(analysis.chip).toBe(chip);
			expect(analysis.elf_sha256_prefix).toMatch(/^[0-9a-f]{9}$/);
			expect(analysis.firmware_version).toBe("v1.0-elf");
			expect(analysis.matched_by).toBe("elf_sha256");
			expect(analysis.decoded_at).toBe(NOW.toISOString());
			expect(analysis.tasks).toHaveLength(HEADERS[chip].tasks);
		});

		it("names the crashed task, its ISR state and panic reason as gdb does", () => {
			expect(analysis.crashed_task).toEqual({
				tcb: expected.crashedTcb,
				name: expected.crashedName,
			});
			expect(analysis.in_isr).toBe(expected.inIsr);
			expect(analysis.panic_reason).toBe(expected.panicReason);
		});

		it("has every register gdb printed, with its value", () => {
			expect(expected.registers.size).toBeGreaterThan(30);
			for (const [name, value] of expected.registers) {
				expect([name, analysis.registers?.[name]]).toEqual([name, hex(value)]);
			}
		});

		it("has the exception of the crash", () => {
			if (chip === "esp32") {
				expect(analysis.exception).toEqual({
					arch: "xtensa",
					cause: Number.parseInt(expected.registers.get("exccause") as string, 16),
					name: "StoreProhibited",
					address: hex(expected.registers.get("excvaddr") as string),
					epc: [1, 2, 3, 4, 5, 6].map((n) => hex(expected.registers.get(`epc${n}`) as string)),
				});
				return;
			}
			// mcause and mtval are words 34 and 35 of the exception frame at the stack's top;
			// gdb's memory dump of that stack holds them.
			const words = memoryWords(dump.expected);
			const frame = Number.parseInt(analysis.tasks[0]?.stack?.start ?? "", 16);
			const mcause = words.get(frame + 4 * 34) as number;
			expect(analysis.exception).toEqual({
				arch: "riscv",
				cause: mcause,
				name: mcause === 7 ? "Store access fault" : "Illegal instruction",
				address: hex(String(words.get(frame + 4 * 35)?.toString(16))),
			});
		});

		it("lists the tasks as esp-coredump's table: TCB, name, priority, stack used/free", () => {
			expect(
				analysis.tasks.map((t) => ({
					tcb: t.tcb,
					name: t.name,
					priority: t.priority,
					used: t.stack?.used,
					free: t.stack?.free,
				})),
			).toEqual(expected.table);
		});

		it("walks every task's stack to the frames gdb shows", () => {
			expect(analysis.tasks.map((t) => [t.tcb, t.name])).toEqual(
				expected.threads.map((t) => [t.tcb, t.name]),
			);
			expected.threads.forEach((thread, i) => {
				const task = analysis.tasks[i];
				expectSameFrames(dump, task?.backtrace ?? [], thread.frames, task?.pc ?? null);
				expect(task?.pc).toBe(task?.backtrace[0]?.pc);
			});
			expect(analysis.backtrace).toEqual(analysis.tasks[0]?.backtrace);
		});
	});

	it("names the frames it recovers past a ROM gdb could not read", async () => {
		const analysis = await analyzeCoredump(rawImage(dump), "v0", resolverFor(dump), NOW);
		const names = analysis.backtrace.map((f) => `${f.function ?? "?"}:${f.kind}`);
		// The test app: abort() from a putc hook while the ROM prints; app_main's frame lies
		// above the ROM's and is found by the stack scan on RISC-V (CFI ends in ROM).
		const scanned = chip === "esp32" ? "app" : "scanned";
		expect(names.filter((n) => !n.endsWith(":rom"))).toEqual([
			"panic_abort:app",
			"esp_system_abort:app",
			"abort:app",
			"fail_once:app",
			`app_main:${scanned}`,
			"main_task:app",
			"vPortTaskWrapper:app",
		]);
	});

	it("without an ELF: addresses, registers and tasks, no names, a provisional signature", async () => {
		const hints: unknown[] = [];
		const analysis = await analyzeCoredump(
			rawImage(dump),
			"v0-device",
			async (hint) => {
				hints.push(hint);
				return null;
			},
			NOW,
		);
		const named = await analyzeCoredump(rawImage(dump), "v0-device", resolverFor(dump), NOW);
		expect(hints).toEqual([
			{ elfSha256Prefix: named.elf_sha256_prefix, firmwareVersion: "v0-device", chip },
		]);
		expect(analysis.status).toBe("unsymbolized");
		expect(analysis.firmware_version).toBe("v0-device");
		expect(analysis.matched_by).toBeNull();
		expect(analysis.registers).toEqual(named.registers);
		expect(analysis.tasks.map((t) => [t.tcb, t.name, t.stack])).toEqual(
			named.tasks.map((t) => [t.tcb, t.name, t.stack]),
		);
		const frames = analysis.tasks.flatMap((t) => t.backtrace);
		expect(frames.every((f) => f.function === null && f.file === null && f.offset === null)).toBe(
			true,
		);
		if (chip === "esp32") {
			// The windowed-ABI walk needs no ELF: the same PCs.
			expect(analysis.tasks.map((t) => t.backtrace.map((f) => f.pc))).toEqual(
				named.tasks.map((t) => t.backtrace.map((f) => f.pc)),
			);
		} else {
			// No CFI without the ELF: the PC, and ra as the caller's guess.
			expect(analysis.backtrace.map((f) => [f.pc, f.kind])).toEqual([
				[named.backtrace[0]?.pc, "app"],
				[named.backtrace[1]?.pc, "scanned"],
			]);
		}
		expect(analysis.signature).toMatch(/^pc:[0-9a-f]{16}$/);
	});
});

describe("the three real dumps", () => {
	it("are one bug: the same signature and title on Xtensa and RISC-V, ELF 1.2 and 1.4", async () => {
		const analyses = await Promise.all(
			REAL_DUMPS.map((d) => analyzeCoredump(rawImage(d), "v0", resolverFor(d), NOW)),
		);
		const signatures = new Set(analyses.map((a) => a.signature));
		expect(signatures.size).toBe(1);
		expect([...signatures][0]).toMatch(/^[0-9a-f]{16}$/);
	});
});
