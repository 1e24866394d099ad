import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CoredumpAnalysis, ElfResolver, Frame } from "../../../src/lib/coredump/analysis";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import { decodeDump } from "../../../src/lib/coredump/decode";
import { DumpError } from "../../../src/lib/coredump/dump-error";
import { binaryBodyOf } from "../../fixtures/coredump/dumps";
import { buildImage } from "../../fixtures/coredump/image";
import { xtensaScenario } from "../../fixtures/coredump/scenarios";
import { factsSymbolizer } from "../../helpers/coredump/facts-symbolizer";
import { REAL_DUMPS, type RealDump, rawImage } from "../../helpers/coredump/real-dumps";

const NOW = new Date("2025-01-02T03:04:05Z");
const CODES = ["DUMP_TRUNCATED", "DUMP_CHECKSUM_MISMATCH", "DUMP_FORMAT_UNKNOWN", "DUMP_CORRUPT"];
const HEX = /^0x[0-9a-f]+$/;
const KINDS = ["app", "rom", "scanned"];

/** Whatever the input, an analysis with the API's shape (SPEC §10). */
function expectValid(a: CoredumpAnalysis): void {
	expect(["decoded", "unsymbolized", "failed"]).toContain(a.status);
	JSON.stringify(a);
	if (a.status === "failed") {
		expect(CODES).toContain(a.error_code);
		expect(a.tasks).toEqual([]);
		expect(a.backtrace).toEqual([]);
		return;
	}
	expect(a.error_code).toBeNull();
	expect(a.tasks.length).toBeGreaterThan(0);
	expect(a.tasks.length).toBeLessThanOrEqual(1024);
	const frames: Frame[] = [...a.backtrace, ...a.tasks.flatMap((t) => t.backtrace)];
	for (const f of frames) {
		expect(f.pc).toMatch(HEX);
		expect(KINDS).toContain(f.kind);
	}
	for (const t of a.tasks) {
		expect(t.tcb).toMatch(HEX);
		expect(t.backtrace.length).toBeLessThanOrEqual(64);
		if (t.stack) {
			expect(t.stack.start).toMatch(HEX);
			expect(t.stack.end).toMatch(HEX);
			expect(Number.isInteger(t.stack.used) && t.stack.used >= 0).toBe(true);
			expect(Number.isInteger(t.stack.free) && t.stack.free >= 0).toBe(true);
		}
	}
	for (const value of Object.values(a.registers ?? {})) expect(value).toMatch(HEX);
}

/**
 * A failed analysis must come from a parser's refusal (a DumpError), never from an error the
 * code did not mean to raise (analyzeCoredump would hide it as DUMP_CORRUPT).
 */
async function expectRefusedByParsers(a: CoredumpAnalysis, bytes: Uint8Array): Promise<void> {
	if (a.status !== "failed") return;
	const error = await decodeDump(bytes).then(
		() => null,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(DumpError);
}

type Mutation =
	| { kind: "flip"; at: number; bit: number }
	| { kind: "word"; at: number; value: number }
	| { kind: "cut"; at: number }
	| { kind: "fill"; at: number; length: number; value: number }
	| { kind: "insert"; at: number; length: number };

const WORDS = [
	0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 0x3ffb4e00, 0x40000000, 0x20000000, 4, 8266,
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
	fc.record({ kind: fc.constant("word" as const), at: fc.nat(), value: fc.constantFrom(...WORDS) }),
	fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
	fc.record({
		kind: fc.constant("fill" as const),
		at: fc.nat(),
		length: fc.nat(64),
		value: fc.nat(255),
	}),
	fc.record({
		kind: fc.constant("insert" as const),
		at: fc.nat(),
		length: fc.integer({ min: 1, max: 16 }),
	}),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
	let out = bytes.slice();
	for (const m of mutations) {
		if (out.length === 0) break;
		const at = m.at % out.length;
		if (m.kind === "flip") out[at] = (out[at] as number) ^ (1 << m.bit);
		else if (m.kind === "word" && at + 4 <= out.length) {
			new DataView(out.buffer, out.byteOffset).setUint32(at & ~3, m.value, true);
		} else if (m.kind === "cut") out = out.slice(0, at);
		else if (m.kind === "fill") out.fill(m.value, at, at + m.length);
		else if (m.kind === "insert") {
			const grown = new Uint8Array(out.length + m.length);
			grown.set(out.subarray(0, at));
			grown.set(out.subarray(at), at + m.length);
			out = grown;
		}
	}
	return out;
}

const HEADER = {
	esp32: { size: 24, checksum: 4, major: 1, minor: 2, chipId: 0 },
	esp32c3: { size: 24, checksum: 4, major: 1, minor: 2, chipId: 5 },
	esp32c6: { size: 12, checksum: 32, major: 1, minor: 4, chipId: 13 },
} as const;

function resolverFor(dump: RealDump): ElfResolver {
	const symbolizer = factsSymbolizer(dump.facts);
	return async () => ({ symbolizer, matchedBy: "elf_sha256", firmwareVersion: "v1" });
}

describe.each(REAL_DUMPS.map((d) => [d.chip, d] as const))(
	"mutations of the real %s dump",
	(chip, dump) => {
		const image = rawImage(dump);
		const header = HEADER[chip];
		const elf = image.subarray(header.size, image.length - header.checksum);
		const resolve = resolverFor(dump);

		it("as uploaded (most fail their checksum): never throw, always an analysis", async () => {
			await fc.assert(
				fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
					expectValid(await analyzeCoredump(mutate(image, mutations), "v1", resolve, NOW));
				}),
				{ numRuns: 400 },
			);
		});

		it("behind a valid checksum (the parsers see the damage): never throw, always an analysis", async () => {
			await fc.assert(
				fc.asyncProperty(
					fc.array(mutation, { minLength: 1, maxLength: 6 }),
					fc.boolean(),
					async (mutations, named) => {
						const body = mutate(elf, mutations);
						const wrapped = await buildImage(body, header);
						const a = await analyzeCoredump(wrapped, "v1", named ? resolve : async () => null, NOW);
						expectValid(a);
						expect(a.error_code).not.toBe("DUMP_CHECKSUM_MISMATCH");
						await expectRefusedByParsers(a, wrapped);
					},
				),
				{ numRuns: 600 },
			);
		});

		it("as UART text: never throw, always an analysis", async () => {
			const text = new TextEncoder().encode(dump.uart);
			await fc.assert(
				fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
					expectValid(await analyzeCoredump(mutate(text, mutations), "v1", resolve, NOW));
				}),
				{ numRuns: 200 },
			);
		});
	},
);

describe("mutations of a binary-format dump behind a valid checksum", () => {
	const scenario = xtensaScenario();
	const body = binaryBodyOf(scenario.tasks);
	const resolve: ElfResolver = async () => ({
		symbolizer: scenario.symbolizer,
		matchedBy: "firmware_version",
		firmwareVersion: "v1",
	});

	it("never throw, always an analysis", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(mutation, { minLength: 1, maxLength: 6 }),
				fc.nat(3),
				async (mutations, count) => {
					const image = await buildImage(mutate(body, mutations), {
						major: 0,
						minor: 3,
						chipId: 0,
						taskCount: count,
						tcbSize: scenario.tasks[0]?.tcbBytes.length ?? 0,
					});
					const a = await analyzeCoredump(image, "v1", resolve, NOW);
					expectValid(a);
					await expectRefusedByParsers(a, image);
				},
			),
			{ numRuns: 600 },
		);
	});
});
