import { describe, expect, it } from "vitest";
import type { CoredumpAnalysis, ElfResolver } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import { concat } from "../../fixtures/coredump/bytes";
import { binaryImageOf, elfCoreOf, elfImageOf } from "../../fixtures/coredump/dumps";
import { buildImage, layoutOf } from "../../fixtures/coredump/image";
import { riscvScenario, type Scenario, xtensaScenario } from "../../fixtures/coredump/scenarios";
import { factsSymbolizer } from "../../helpers/coredump/facts-symbolizer";
import { rawImage, realDump } from "../../helpers/coredump/real-dumps";

const NOW = new Date("2025-01-02T03:04:05Z");

function resolver(scenario: Scenario): ElfResolver {
	return async () => ({
		symbolizer: scenario.symbolizer,
		matchedBy: "elf_sha256",
		firmwareVersion: "v2",
	});
}

/** What must not depend on the form a dump came in. */
function essence(a: CoredumpAnalysis) {
	return {
		crashed: a.crashed_task,
		registers: a.registers,
		tasks: a.tasks.map((t) => ({ ...t })),
		exception: a.exception?.name,
		signature: a.signature,
	};
}

describe("partition image headers", () => {
	const esp32 = realDump("esp32");
	const image = rawImage(esp32);
	const elf = image.subarray(24, image.length - 4);
	const symbolizer = factsSymbolizer(esp32.facts);
	const resolve: ElfResolver = async () => ({
		symbolizer,
		matchedBy: "elf_sha256",
		firmwareVersion: "v1",
	});

	it.each([
		[1, 0, 20, "crc32", null],
		[1, 1, 20, "sha256", null],
		[1, 2, 24, "crc32", 300],
		[1, 3, 24, "sha256", 300],
		[1, 4, 12, "sha256", 300],
	] as const)(
		"ELF %i.%i: a %i-byte header and %s",
		async (major, minor, size, checksum, chipRev) => {
			expect(layoutOf(major, minor).size).toBe(size);
			const wrapped = await buildImage(elf, { major, minor, chipId: 0, chipRev: 300 });
			const analysis = await analyzeCoredump(wrapped, "v1", resolve, NOW);
			const original = await analyzeCoredump(image, "v1", resolve, NOW);
			expect(analysis.status).toBe("decoded");
			expect(analysis.dump_version).toBe(`${major}.${minor}`);
			expect(analysis.checksum).toBe(checksum);
			expect(analysis.chip_rev).toBe(chipRev);
			expect(essence(analysis)).toEqual(essence(original));
		},
	);

	it("ignores what follows data_len (the rest of the partition)", async () => {
		const partition = concat(image, new Uint8Array(4096).fill(0xff));
		const analysis = await analyzeCoredump(partition, "v1", resolve, NOW);
		expect(analysis.status).toBe("decoded");
		expect(analysis.tasks).toHaveLength(6);
	});
});

describe.each([
	["Xtensa", xtensaScenario],
	["RISC-V", riscvScenario],
] as const)("the binary (0.x) task-list format, %s", (_, make) => {
	const scenario = make();

	it.each(scenario.arch === "xtensa" ? [1, 2, 3] : [2, 3])(
		"0.%i decodes to what the ELF format says",
		async (minor) => {
			const binary = await binaryImageOf(scenario.chipId, scenario.tasks, minor);
			const elf = await elfImageOf(scenario.spec);
			const fromBinary = await analyzeCoredump(binary, "v2", resolver(scenario), NOW);
			const fromElf = await analyzeCoredump(elf, "v2", resolver(scenario), NOW);
			expect(fromBinary.status).toBe("decoded");
			expect(fromBinary.format).toBe("binary");
			expect(fromBinary.dump_version).toBe(`0.${minor}`);
			expect(fromBinary.checksum).toBe("crc32");
			expect(fromBinary.chip_rev).toBe(minor === 3 ? 1 : null);
			// The binary format has no ELF SHA, panic reason or ISR flag.
			expect(fromBinary.elf_sha256_prefix).toBeNull();
			expect(fromBinary.panic_reason).toBeNull();
			expect(fromBinary.in_isr).toBeNull();
			expect(fromBinary.tasks).toEqual(fromElf.tasks);
			expect(fromBinary.crashed_task).toEqual(fromElf.crashed_task);
			expect(fromBinary.signature).toBe(fromElf.signature);
			expect(fromBinary.tasks[0]?.backtrace.map((f) => f.function)).toContain("fail_once");
		},
	);
});

describe("a bare ELF core", () => {
	it.each(["exact", "padded"] as const)(
		"with note names sized %s decodes, the chip taken from its info note",
		async (nameSize) => {
			const scenario = riscvScenario();
			const bare = elfCoreOf({ ...scenario.spec, nameSize });
			const analysis = await analyzeCoredump(bare, "v2", resolver(scenario), NOW);
			expect(analysis.status).toBe("decoded");
			expect(analysis.chip).toBe("esp32c3");
			expect(analysis.dump_version).toBe("1.2");
			expect(analysis.checksum).toBeNull();
			expect(analysis.elf_sha256_prefix).toBe("0123abcd9");
			expect(analysis.panic_reason).toBe(scenario.spec.panicReason);
		},
	);
});
