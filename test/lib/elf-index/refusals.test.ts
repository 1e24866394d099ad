import { describe, expect, it } from "vitest";
import { buildElfIndex, type ElfIndexOptions } from "../../../src/lib/elf-index/build";
import { openElfIndex } from "../../../src/lib/elf-index/read";
import { memorySource } from "../../../src/lib/zip/byte-source";
import { ByteWriter } from "../../fixtures/elf/byte-writer";
import { cfa } from "../../fixtures/elf/cfi-writer";
import { buildChipFixtureElf } from "../../fixtures/elf/chip-elf";
import { type ElfSpec, SHF, SHT, writeElf } from "../../fixtures/elf/elf-writer";
import { buildSmallElf, nops, type SmallElfSpec } from "../../fixtures/elf/small-elf";
import { countingSource, refusal } from "./helpers";

const TEXT = 0x42000000;
const code = [{ name: ".text", addr: TEXT, bytes: nops(64) }];

async function refused(elf: Uint8Array, options?: ElfIndexOptions) {
	const error = await refusal(buildElfIndex(memorySource(elf), options));
	return {
		code: error.code,
		status: error.status,
		reason: (error as { details?: { reason?: string } }).details?.reason,
	};
}

const small = (spec: Partial<SmallElfSpec>) => buildSmallElf({ code, ...spec });
const raw = (spec: Partial<ElfSpec>) => writeElf({ sections: [], ...spec });

describe("buildElfIndex refuses what is not a firmware ELF", () => {
	it.each([
		["an empty file", new Uint8Array(0), "ELF_INVALID"],
		["a file shorter than the header", raw({}).subarray(0, 40), "ELF_INVALID"],
		["no ELF magic", Uint8Array.from({ length: 64 }, () => 0x41), "ELF_INVALID"],
		["a 64-bit ELF", raw({ header: { class: 2 } }), "ELF_UNSUPPORTED"],
		["a big-endian ELF", raw({ header: { data: 2 } }), "ELF_UNSUPPORTED"],
		["an unknown ELF version", raw({ header: { version: 7 } }), "ELF_INVALID"],
		["an object file", raw({ header: { type: 1 } }), "ELF_UNSUPPORTED"],
		["a core file", raw({ header: { type: 4 } }), "ELF_UNSUPPORTED"],
		["an ARM executable", raw({ machine: 40 }), "ELF_UNSUPPORTED"],
	])("%s", async (_, elf, code) => {
		const error = await refused(elf);
		expect(error.code).toBe(code);
		expect(error.status).toBe(400);
	});
});

describe("buildElfIndex refuses a damaged ELF with ELF_INVALID", () => {
	it.each([
		["a section table past the end", raw({ header: { shoff: 0x7ffffff0 } })],
		["a section table cut short", raw({ header: { shnum: 40 } })],
		["another section header size", raw({ header: { shentsize: 64 } })],
		["no section name table", raw({ header: { shstrndx: 0 } })],
		[
			"a section whose contents lie past the end",
			raw({
				sections: [
					{
						name: ".text",
						type: SHT.PROGBITS,
						flags: 6,
						addr: TEXT,
						data: nops(8),
						offset: 0x100000,
					},
				],
			}),
		],
		[
			"a section past the end of the address space",
			raw({
				sections: [{ name: ".text", type: SHT.NOBITS, flags: 6, addr: 0xfffffff0, size: 0x100 }],
			}),
		],
		[
			"a symbol table of a size no entry count gives",
			small({ replace: { ".symtab": new Uint8Array(17) } }),
		],
		[
			"a symbol name outside the string table",
			small({
				replace: {
					".symtab": new ByteWriter()
						.raw(new Uint8Array(16))
						.u32(0x7fffffff)
						.u32(TEXT)
						.u32(4)
						.u8(0x12, 0)
						.u16(1)
						.toBytes(),
				},
			}),
		],
		[
			"a line program longer than its section",
			small({ replace: { ".debug_line": new ByteWriter().u32(0x1000).u16(4).toBytes() } }),
		],
		[
			"a line program header longer than its unit",
			small({ replace: { ".debug_line": new ByteWriter().u32(10).u16(4).u32(0x100).toBytes() } }),
		],
		[
			"a line range of 0",
			small({
				lines: [
					{ version: 4, dirs: [], files: [{ name: "a.c", dir: 0 }], sequences: [], lineRange: 0 },
				],
			}),
		],
		[
			"a DWARF 5 table of countless entries without fields",
			small({
				replace: {
					// version 5, header: min inst, max ops, is_stmt, base, range, opcode base 1,
					// no directory formats, 2^32 − 1 directories.
					".debug_line": lineUnit(
						new ByteWriter().u8(1, 1, 1, 0xfb, 14, 1, 0).uleb(0xffffffff).toBytes(),
						5,
					),
				},
			}),
		],
		[
			"a call-frame entry longer than its section",
			small({ replace: { ".debug_frame": new ByteWriter().u32(0x100).u32(0xffffffff).toBytes() } }),
		],
		[
			"an FDE whose CIE pointer leaves the section",
			small({
				debugFrame: [
					{ kind: "cie", codeAlign: 1, dataAlign: -4, returnAddressRegister: 1, instructions: [] },
					{ kind: "fde", cie: 0, pcBegin: TEXT, pcRange: 8, instructions: [], ciePointer: 0x10000 },
				],
			}),
		],
		[
			"an FDE whose CIE pointer leads to another FDE",
			small({
				debugFrame: [
					{ kind: "cie", codeAlign: 1, dataAlign: -4, returnAddressRegister: 1, instructions: [] },
					{ kind: "fde", cie: 0, pcBegin: TEXT, pcRange: 8, instructions: [] },
					{
						kind: "fde",
						cie: 0,
						pcBegin: TEXT,
						pcRange: 8,
						instructions: cfa.nop(),
						ciePointer: 16,
					},
				],
			}),
		],
		[
			"a compilation unit longer than its section",
			small({ replace: { ".debug_info": new ByteWriter().u32(0x1000).u16(4).toBytes() } }),
		],
	])("%s", async (_, elf) => {
		const error = await refused(elf);
		expect(error.code).toBe("ELF_INVALID");
		expect(error.status).toBe(400);
		expect(error.reason).toEqual(expect.any(String));
	});
});

describe("buildElfIndex refuses what it would not keep whole", () => {
	it.each([
		["symbols", { maxSymbols: 100 }],
		["line rows", { maxLineRows: 4 }],
		["call-frame entries", { maxFrameEntries: 3 }],
		["code bytes", { maxCodeBytes: 0x10000 }],
	] as const)("too many %s: ELF_INDEX_TOO_LARGE", async (_, options) => {
		const error = await refused(buildChipFixtureElf("esp32c3"), options);
		expect(error.code).toBe("ELF_INDEX_TOO_LARGE");
		expect(error.status).toBe(413);
	});

	it("compressed debug sections: ELF_UNSUPPORTED", async () => {
		const compressed = {
			name: ".debug_line",
			type: SHT.PROGBITS,
			flags: 0x800,
			data: new Uint8Array(16),
		};
		const elf = writeElf({
			sections: [
				{
					name: ".text",
					type: SHT.PROGBITS,
					flags: SHF.ALLOC | SHF.EXECINSTR,
					addr: TEXT,
					data: nops(8),
				},
				compressed,
			],
		});
		expect((await refused(elf)).code).toBe("ELF_UNSUPPORTED");
	});
});

describe("buildElfIndex reads an ELF by ranges", () => {
	it("in reads no larger than its chunk, touching each byte about once", async () => {
		const elf = buildChipFixtureElf("esp32c3");
		const source = countingSource(elf);
		const index = await buildElfIndex(source, { chunkBytes: 8192 });
		expect(index.length).toBeGreaterThan(0);
		const largest = Math.max(...source.reads.map(([, length]) => length));
		expect(largest).toBeLessThanOrEqual(64 * 1024);
		const total = source.reads.reduce((sum, [, length]) => sum + length, 0);
		expect(total).toBeLessThan(elf.length * 2);
		expect(index).toEqual(await buildElfIndex(memorySource(elf)));
	});
});

describe("openElfIndex refuses what is not an index it wrote", () => {
	it.each([
		["bytes too short", new Uint8Array(8)],
		["another magic", new TextEncoder().encode("NOTANINDEX______")],
		["another version", indexWith((view) => view.setUint32(8, 999, true))],
		["a directory past the end", indexWith((view) => view.setUint32(12, 0x7fffffff, true))],
		["a directory that is not JSON", indexWith((_, bytes) => bytes.fill(0x7b, 16, 40))],
	])("%s: ELF_INDEX_CORRUPT", async (_, bytes) => {
		const error = await refusal(openElfIndex(memorySource(await bytes)));
		expect(error.code).toBe("ELF_INDEX_CORRUPT");
	});

	it("a directory whose tables lie outside the index: ELF_INDEX_CORRUPT", async () => {
		const bytes = await buildElfIndex(memorySource(buildSmallElf({ code })));
		const cut = bytes.subarray(0, bytes.length - 4);
		const error = await refusal(openElfIndex(memorySource(cut)));
		expect(error.code).toBe("ELF_INDEX_CORRUPT");
	});
});

async function indexWith(change: (view: DataView, bytes: Uint8Array) => void): Promise<Uint8Array> {
	const bytes = (await buildElfIndex(memorySource(buildSmallElf({ code })))).slice();
	change(new DataView(bytes.buffer), bytes);
	return bytes;
}

/** A line program unit: length, version, (DWARF 5: address and selector sizes), header length. */
function lineUnit(header: Uint8Array, version: number): Uint8Array {
	const body = new ByteWriter().u16(version);
	if (version >= 5) body.u8(4, 0);
	body.u32(header.length).raw(header);
	const bytes = body.toBytes();
	return new ByteWriter().u32(bytes.length).raw(bytes).toBytes();
}
