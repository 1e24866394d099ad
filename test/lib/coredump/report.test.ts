import { describe, expect, it } from "vitest";
import type { ElfResolver } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import { formatReport } from "../../../src/lib/coredump/report";
import { parseExpectedOutput } from "../../helpers/coredump/expected-output";
import { factsSymbolizer } from "../../helpers/coredump/facts-symbolizer";
import { REAL_DUMPS, type RealDump, rawImage } from "../../helpers/coredump/real-dumps";

const NOW = new Date("2025-01-02T03:04:05Z");

function resolverFor(dump: RealDump): ElfResolver {
	const symbolizer = factsSymbolizer(dump.facts);
	return async () => ({ symbolizer, matchedBy: "elf_sha256", firmwareVersion: "v1.0" });
}

/** Registers gdb prints with a data symbol we do not look up (`gp 0x3fc8a600 <TAG+4>`). */
const SYMBOLIC = new Set(["ra", "gp"]);

describe.each(REAL_DUMPS.map((d) => [d.chip, d] as const))(
	"the report of the real %s dump",
	(_, dump) => {
		const expected = parseExpectedOutput(dump.expected);

		it("is laid out like esp-coredump info_corefile, section by section", async () => {
			const analysis = await analyzeCoredump(rawImage(dump), "v0", resolverFor(dump), NOW);
			const report = formatReport(analysis, { deviceKey: "dev-1", coredumpId: 7, size: 9396 });
			const lines = report.split("\n");
			const sections = lines.filter((l) => l.startsWith("====="));
			expect(sections).toEqual([
				"===============================================================",
				"==================== ESP32 CORE DUMP START ====================",
				"================== CURRENT THREAD REGISTERS ===================",
				"==================== CURRENT THREAD STACK =====================",
				"======================== THREADS INFO =========================",
				...expected.threads.map(
					(t, i) =>
						`==================== THREAD ${i + 1} (TCB: ${t.tcb}, name: '${t.name}') =====================`,
				),
				"===================== ESP32 CORE DUMP END =====================",
				"===============================================================",
			]);
			expect(lines).toContain("Core dump 7 of device dev-1 (9396 bytes)");
			expect(lines).toContain(
				`Crashed task handle: ${expected.crashedTcb}, name: '${expected.crashedName}'`,
			);
			expect(lines).toContain("Crashed task is not in the interrupt context");
			expect(lines).toContain(`Panic reason: ${expected.panicReason}`);
			// Register lines read exactly as gdb's (and esp-coredump's exception lines) do.
			for (const [name, line] of expected.registerLines) {
				if (!SYMBOLIC.has(name)) expect(lines).toContain(line);
			}
			for (const row of expected.table) {
				expect(lines).toContainEqual(
					expect.stringMatching(
						new RegExp(
							`^\\s*${row.tcb}\\s+${row.name}\\s+${row.priority}\\s+${row.used}/${row.free}$`,
						),
					),
				);
			}
			const stack = lines.slice(
				lines.indexOf(sections[3] as string) + 1,
				lines.indexOf(sections[4] as string) - 1,
			);
			expect(stack).toEqual(
				analysis.backtrace.map((f, i) =>
					expect.stringMatching(
						new RegExp(
							`^#${i}\\s+${f.pc} in ${f.function ?? "\\?\\?"} \\(\\)${f.kind === "rom" ? "  \\[ROM\\]" : f.kind === "scanned" ? "  \\[found by stack scan\\]" : ""}$`,
						),
					),
				),
			);
		});
	},
);

describe("the report of a dump that could not be decoded", () => {
	it("says so, with the error code", async () => {
		const analysis = await analyzeCoredump(new Uint8Array(10), "v0", async () => null, NOW);
		const report = formatReport(analysis);
		expect(report).toContain("The core dump could not be decoded: DUMP_FORMAT_UNKNOWN.");
		expect(report).not.toContain("CURRENT THREAD");
	});
});
