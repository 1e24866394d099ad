import { describe, expect, it } from "vitest";
import type { AnalysisErrorCode, CoredumpAnalysis } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import { ascii, concat, u32s } from "../../fixtures/coredump/bytes";
import { binaryBodyOf, elfCoreOf } from "../../fixtures/coredump/dumps";
import { buildElfCore } from "../../fixtures/coredump/elf-core";
import { buildImage } from "../../fixtures/coredump/image";
import { riscvScenario, xtensaScenario } from "../../fixtures/coredump/scenarios";
import { toUartText } from "../../fixtures/coredump/uart";
import { rawImage, realDump } from "../../helpers/coredump/real-dumps";

const NOW = new Date("2025-01-02T03:04:05Z");
let resolverCalls = 0;

async function analyze(bytes: Uint8Array): Promise<CoredumpAnalysis> {
	return analyzeCoredump(
		bytes,
		"v1",
		async () => {
			resolverCalls++;
			return null;
		},
		NOW,
	);
}

function expectFailed(a: CoredumpAnalysis, code: AnalysisErrorCode) {
	expect({ status: a.status, code: a.error_code }).toEqual({ status: "failed", code });
	expect(a.tasks).toEqual([]);
	expect(a.backtrace).toEqual([]);
	expect(a.signature).toBeNull();
	expect(a.firmware_version).toBe("v1");
	expect(a.decoded_at).toBe(NOW.toISOString());
}

const esp32 = rawImage(realDump("esp32"));
const esp32c6 = rawImage(realDump("esp32c6"));

function flip(bytes: Uint8Array, at: number): Uint8Array {
	const copy = bytes.slice();
	copy[at] = (copy[at] as number) ^ 0x40;
	return copy;
}

describe("damaged dumps come back failed, with their code", () => {
	it("a flipped bit fails the CRC-32 or the SHA-256, and the header's facts are kept", async () => {
		for (const image of [esp32, esp32c6]) {
			const a = await analyze(flip(image, 600));
			expectFailed(a, "DUMP_CHECKSUM_MISMATCH");
			expect(a.chip).toBe(image === esp32 ? "esp32" : "esp32c6");
			expect(a.checksum).toBe(image === esp32 ? "crc32" : "sha256");
		}
	});

	it("a dump cut short, in any form, is DUMP_TRUNCATED", async () => {
		expectFailed(await analyze(esp32.subarray(0, 5000)), "DUMP_TRUNCATED");
		expectFailed(await analyze(esp32.subarray(0, 20)), "DUMP_TRUNCATED");
		expectFailed(
			await analyze(toUartText(esp32.subarray(0, 4000), { banners: true })),
			"DUMP_TRUNCATED",
		);
		const bare = esp32.subarray(24, esp32.length - 4);
		expectFailed(await analyze(bare.subarray(0, 3000)), "DUMP_TRUNCATED");
	});

	it("bytes that are no core dump are DUMP_FORMAT_UNKNOWN", async () => {
		expectFailed(await analyze(new Uint8Array(0)), "DUMP_FORMAT_UNKNOWN");
		expectFailed(await analyze(new Uint8Array(4096).fill(0xff)), "DUMP_FORMAT_UNKNOWN");
		expectFailed(
			await analyze(ascii("I (123) boot: nothing crashed today\n")),
			"DUMP_FORMAT_UNKNOWN",
		);
		expectFailed(
			await analyze(concat(u32s(100, 0x00630102), new Uint8Array(92))),
			"DUMP_FORMAT_UNKNOWN",
		);
		// An ELF file, but the app rather than a core.
		const app = buildElfCore({ arch: "xtensa", noteSegments: [], loads: [], eType: 2 });
		expectFailed(await analyze(app), "DUMP_FORMAT_UNKNOWN");
	});

	it("lengths that lie inside a verified image are DUMP_CORRUPT", async () => {
		const scenario = xtensaScenario();
		const body = binaryBodyOf(scenario.tasks);
		const tcbSize = scenario.tasks[0]?.tcbBytes.length ?? 0;
		const cases: Uint8Array[] = [
			// data_len smaller than its own header and checksum
			await buildImage(body, {
				major: 0,
				minor: 3,
				chipId: 0,
				taskCount: 2,
				tcbSize,
				dataLength: 10,
			}),
			// absurd task counts and TCB sizes
			await buildImage(body, { major: 0, minor: 3, chipId: 0, taskCount: 100000, tcbSize }),
			await buildImage(body, { major: 0, minor: 3, chipId: 0, taskCount: 2, tcbSize: 0x100000 }),
			// a stack end far past the data
			await buildImage(concat(u32s(0x3ffafba0, 0x3ffb4e00, 0x3ffc4e00), new Uint8Array(tcbSize)), {
				major: 0,
				minor: 3,
				chipId: 0,
				taskCount: 1,
				tcbSize,
			}),
			// memory segments that are not there
			await buildImage(body, {
				major: 0,
				minor: 2,
				chipId: 0,
				taskCount: 2,
				tcbSize,
				segmentCount: 3,
			}),
		];
		for (const image of cases) expectFailed(await analyze(image), "DUMP_CORRUPT");
	});

	it("an ELF whose segments or notes point outside it is DUMP_CORRUPT", async () => {
		const elf = elfCoreOf(xtensaScenario().spec);
		const badOffset = elf.slice();
		new DataView(badOffset.buffer).setUint32(52 + 4, 0x7fffffff, true);
		const noNotes = buildElfCore({
			arch: "xtensa",
			noteSegments: [],
			loads: [{ start: 0x3ffb0000, bytes: new Uint8Array(16) }],
		});
		const hugeNote = buildElfCore({
			arch: "riscv",
			noteSegments: [[{ name: "CORE", type: 1, desc: new Uint8Array(204) }]],
			loads: [],
		});
		new DataView(hugeNote.buffer).setUint32(52 + 32 + 4, 0xfffffff0, true);
		const tooMany = buildElfCore({
			arch: "riscv",
			noteSegments: [
				Array.from({ length: 1100 }, (_, i) => ({ name: "CORE", type: 1, desc: prstatus(i) })),
			],
			loads: [],
		});
		for (const body of [badOffset, noNotes, hugeNote, tooMany]) {
			expectFailed(
				await analyze(await buildImage(body, { major: 1, minor: 2, chipId: 5 })),
				"DUMP_CORRUPT",
			);
		}
	});

	it("a header whose chip is Xtensa around a RISC-V ELF is DUMP_CORRUPT", async () => {
		const riscv = elfCoreOf(riscvScenario().spec);
		expect((await analyze(await buildImage(riscv, { major: 1, minor: 2, chipId: 5 }))).status).toBe(
			"unsymbolized",
		);
		expectFailed(
			await analyze(await buildImage(riscv, { major: 1, minor: 2, chipId: 0 })),
			"DUMP_CORRUPT",
		);
	});

	it("never asks for an ELF when the dump cannot be read", async () => {
		resolverCalls = 0;
		await analyze(flip(esp32, 100));
		await analyze(new Uint8Array(3));
		expect(resolverCalls).toBe(0);
		await analyze(esp32);
		expect(resolverCalls).toBe(1);
	});
});

function prstatus(i: number): Uint8Array {
	const desc = new Uint8Array(204);
	new DataView(desc.buffer).setUint32(24, 0x3fc80000 + 0x200 * i, true);
	return desc;
}
