import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors";
import type { Symbolizer } from "../../../src/lib/coredump/symbolizer";
import { buildElfIndex } from "../../../src/lib/elf-index/build";
import { openElfIndex } from "../../../src/lib/elf-index/read";
import { memorySource } from "../../../src/lib/zip/byte-source";
import { cfa } from "../../fixtures/elf/cfi-writer";
import { buildChipFixtureElf } from "../../fixtures/elf/chip-elf";
import { buildSmallElf, nops, STB, STT } from "../../fixtures/elf/small-elf";

const TEXT = 0x42000000;

/** A small ELF with every part the index reads: symbols, DWARF 4 and 5 lines, both CFI sections. */
function featureElf(): Uint8Array {
	const row = (offset: number, line: number, file = 1) => ({ address: TEXT + offset, file, line });
	const cie = {
		kind: "cie" as const,
		codeAlign: 1,
		dataAlign: -4,
		returnAddressRegister: 1,
		instructions: cfa.defCfaRegister(2),
	};
	const prologue = [
		...cfa.advance(2),
		...cfa.defCfaOffset(16),
		...cfa.offset(1, 1),
		...cfa.rememberState(),
		...cfa.restoreState(),
	];
	return buildSmallElf({
		code: [
			{
				name: ".text",
				addr: TEXT,
				bytes: Uint8Array.from([...nops(16), 0xef, 0, 0, 0, ...nops(44)]),
			},
		],
		symbols: [
			{ name: "main", value: TEXT, size: 32, type: STT.FUNC, bind: STB.GLOBAL, shndx: 1 },
			{ name: "label", value: TEXT + 32, size: 0, type: STT.NOTYPE, bind: STB.LOCAL, shndx: 1 },
		],
		lines: [
			{
				version: 4,
				dirs: ["/src"],
				files: [
					{ name: "main.c", dir: 1 },
					{ name: "util.h", dir: 0 },
				],
				sequences: [{ rows: [row(0, 3), row(8, 4, 2), row(20, 9)], end: TEXT + 32 }],
			},
			{
				version: 5,
				dirs: ["/src", "inc"],
				files: [
					{ name: "a.c", dir: 0 },
					{ name: "a.c", dir: 0 },
					{ name: "b.h", dir: 1 },
				],
				sequences: [{ rows: [row(32, 1), row(40, 2, 2)], end: TEXT + 64 }],
			},
		],
		units: [
			{ version: 4, line: 0, name: "/src/main.c", compDir: "/src" },
			{ version: 5, line: 1, name: "a.c", compDir: "/src", stringForm: "line_strp" },
		],
		debugFrame: [cie, { kind: "fde", cie: 0, pcBegin: TEXT, pcRange: 32, instructions: prologue }],
		ehFrame: {
			entries: [
				{ ...cie, version: 1, augmentation: "zR", augmentationData: [0x1b] },
				{ kind: "fde", cie: 0, pcBegin: TEXT + 32, pcRange: 32, instructions: prologue },
			],
		},
	});
}

/** Resolves to the index, or to the refusal; anything but an ELF_* AppError fails the run. */
async function outcome(elf: Uint8Array): Promise<Uint8Array | AppError> {
	try {
		return await buildElfIndex(memorySource(elf));
	} catch (error) {
		expect(error).toBeInstanceOf(AppError);
		expect((error as AppError).code).toMatch(/^ELF_(INVALID|UNSUPPORTED|INDEX_TOO_LARGE)$/);
		return error as AppError;
	}
}

async function ask(index: Symbolizer, addresses: number[]): Promise<void> {
	for (const address of addresses) {
		await index.functionAt(address);
		await index.lineAt(address);
		await index.isCode(address);
		await index.followsCall(address);
		await index.unwindAt(address);
	}
}

const mutation = (size: number) =>
	fc.oneof(
		fc
			.array(fc.record({ at: fc.nat(size - 1), value: fc.integer({ min: 0, max: 255 }) }), {
				minLength: 1,
				maxLength: 12,
			})
			.map((flips) => (bytes: Uint8Array) => {
				for (const { at, value } of flips) bytes[at] = value;
				return bytes;
			}),
		fc
			.record({
				at: fc.nat(size - 4),
				value: fc.constantFrom(0, 1, 0xff, 0x7fffffff, 0xffffffff, 0xfffffff0, size, size * 2),
			})
			.map(({ at, value }) => (bytes: Uint8Array) => {
				new DataView(bytes.buffer).setUint32(at & ~3, value >>> 0, true);
				return bytes;
			}),
		fc.nat(size).map((length) => (bytes: Uint8Array) => bytes.slice(0, length)),
	);

describe("buildElfIndex on damaged ELFs", () => {
	const base = featureElf();
	const addresses = [
		TEXT,
		TEXT + 2,
		TEXT + 8,
		TEXT + 20,
		TEXT + 33,
		TEXT + 63,
		TEXT + 64,
		0,
		0xffffffff,
	];

	it("builds the sound one, which answers", async () => {
		const index = await openElfIndex(memorySource((await outcome(base)) as Uint8Array));
		expect(await index.functionAt(TEXT + 4)).toEqual({ name: "main", address: TEXT });
		expect(await index.lineAt(TEXT + 8)).toEqual({ file: "/src/util.h", line: 4 });
		expect(await index.lineAt(TEXT + 40)).toEqual({ file: "/src/inc/b.h", line: 2 });
		expect((await index.unwindAt(TEXT + 34))?.cfa).toEqual({ register: 2, offset: 16 });
		expect(await index.followsCall(TEXT + 20)).toBe(true);
	});

	it("answers thousands of mutations with an index or an ELF_* refusal, never anything else", async () => {
		let refused = 0;
		await fc.assert(
			fc.asyncProperty(mutation(base.length), async (mutate) => {
				const result = await outcome(mutate(base.slice()));
				if (result instanceof AppError) {
					refused++;
					return;
				}
				await ask(await openElfIndex(memorySource(result)), addresses);
			}),
			{ numRuns: 3000 },
		);
		expect(refused).toBeGreaterThan(100);
	}, 120_000);

	it("answers mutations of a chip's app ELF the same way", async () => {
		const elf = buildChipFixtureElf("esp32c3");
		await fc.assert(
			fc.asyncProperty(mutation(elf.length), async (mutate) => {
				const result = await outcome(mutate(elf.slice()));
				if (!(result instanceof AppError))
					await ask(await openElfIndex(memorySource(result)), [0x40380698, 0x4038368d]);
			}),
			{ numRuns: 300 },
		);
	}, 120_000);
});

describe("openElfIndex on damaged indexes", () => {
	it("answers or refuses with ELF_INDEX_CORRUPT, never anything else", async () => {
		const index = (await outcome(featureElf())) as Uint8Array;
		const addresses = [TEXT, TEXT + 8, TEXT + 34, TEXT + 64];
		await fc.assert(
			fc.asyncProperty(mutation(index.length), async (mutate) => {
				try {
					await ask(await openElfIndex(memorySource(mutate(index.slice()))), addresses);
				} catch (error) {
					expect(error).toBeInstanceOf(AppError);
					expect((error as AppError).code).toBe("ELF_INDEX_CORRUPT");
				}
			}),
			{ numRuns: 3000 },
		);
	}, 120_000);
});
