import { describe, expect, it } from "vitest";
import { EM_XTENSA, type SymbolSpec } from "../../fixtures/elf/elf-writer";
import { buildSmallElf, STB, STT } from "../../fixtures/elf/small-elf";
import { symbolizerFor } from "./helpers";

const TEXT = 0x42000000;

/** Instructions laid end to end; returns the bytes and the address each one ends at. */
function layout(instructions: number[][]): { bytes: Uint8Array; ends: number[] } {
	const ends: number[] = [];
	let at = 0;
	for (const instruction of instructions) {
		at += instruction.length;
		ends.push(TEXT + at);
	}
	return { bytes: Uint8Array.from(instructions.flat()), ends };
}

const fn = (name: string, value: number, size = 0): SymbolSpec => ({
	name,
	value,
	size,
	type: name.startsWith("$") ? STT.NOTYPE : STT.FUNC,
	bind: name.startsWith("$") ? STB.LOCAL : STB.GLOBAL,
	shndx: 1,
});

describe("followsCall on RISC-V", () => {
	const instructions: [string, number[], boolean][] = [
		["jal ra", [0xef, 0x00, 0x00, 0x00], true],
		["j (jal x0)", [0x6f, 0x00, 0x00, 0x00], false],
		["jalr ra, 0(a5)", [0xe7, 0x80, 0x07, 0x00], true],
		["ret (jalr x0, 0(ra))", [0x67, 0x80, 0x00, 0x00], false],
		["jal t0 (millicode)", [0xef, 0x02, 0x00, 0x00], false],
		["c.jal", [0x01, 0x20], true],
		["c.jalr a5", [0x82, 0x97], true],
		["c.jr ra (ret)", [0x82, 0x80], false],
		["c.ebreak", [0x02, 0x90], false],
		["c.nop", [0x01, 0x00], false],
		["addi sp, sp, -16", [0x13, 0x01, 0x01, 0xff], false],
	];

	it.each(instructions)("%s", async (_, bytes, call) => {
		const code = layout([[0x01, 0x00], bytes, [0x01, 0x00]]);
		const index = await symbolizerFor(
			buildSmallElf({
				code: [{ name: ".text", addr: TEXT, bytes: code.bytes }],
				symbols: [fn("f", TEXT, 8)],
			}),
		);
		expect(await index.followsCall(code.ends[1] as number)).toBe(call);
		// Not in the middle of it, nor after the next instruction.
		expect(await index.followsCall((code.ends[1] as number) - 1)).toBe(false);
		expect(await index.followsCall(code.ends[2] as number)).toBe(false);
	});

	it("decodes from each symbol, and skips data that $d marks until $x", async () => {
		const code = layout([
			[0xef, 0x00, 0x00, 0x00], // jal ra: a call
			[0xef, 0x00, 0x00, 0x00], // data under $d that looks like one
			[0xef, 0x00, 0x00, 0x00], // code again under $x
			[0x01, 0x00],
		]);
		const symbols = [fn("f", TEXT), fn("$d", TEXT + 4), fn("$xrv32i2p1_m2p0_c2p0", TEXT + 8)];
		const index = await symbolizerFor(
			buildSmallElf({ code: [{ name: ".text", addr: TEXT, bytes: code.bytes }], symbols }),
		);
		expect(await index.followsCall(TEXT + 4)).toBe(true);
		expect(await index.followsCall(TEXT + 8)).toBe(false);
		expect(await index.followsCall(TEXT + 12)).toBe(true);
	});

	it("starts again at a symbol an instruction would have run over", async () => {
		// A 32-bit opcode's first half, then a function whose first instruction is c.jal.
		const code = layout([
			[0x13, 0x01],
			[0x01, 0x20],
			[0x01, 0x00],
		]);
		const symbols = [fn("a", TEXT), fn("b", TEXT + 2)];
		const index = await symbolizerFor(
			buildSmallElf({ code: [{ name: ".text", addr: TEXT, bytes: code.bytes }], symbols }),
		);
		expect(await index.followsCall(TEXT + 4)).toBe(true);
	});

	it("answers false outside code and past its end, true for a call ending the section", async () => {
		const code = layout([
			[0x01, 0x00],
			[0xef, 0x00, 0x00, 0x00],
		]);
		const index = await symbolizerFor(
			buildSmallElf({
				code: [{ name: ".text", addr: TEXT, bytes: code.bytes }],
				symbols: [fn("f", TEXT)],
			}),
		);
		expect(await index.followsCall(TEXT + 6)).toBe(true);
		expect(await index.followsCall(TEXT + 8)).toBe(false);
		expect(await index.followsCall(TEXT)).toBe(false);
		expect(await index.followsCall(0x3fc80000)).toBe(false);
	});
});

describe("followsCall on Xtensa", () => {
	const instructions: [string, number[], boolean][] = [
		["call0", [0x05, 0x12, 0x34], true],
		["call4", [0x15, 0x00, 0x01], true],
		["call8", [0x25, 0xff, 0xff], true],
		["call12", [0x35, 0x00, 0x00], true],
		["callx0 a8", [0xc0, 0x08, 0x00], true],
		["callx4 a3", [0xd0, 0x03, 0x00], true],
		["callx8 a8", [0xe0, 0x08, 0x00], true],
		["callx12 a2", [0xf0, 0x02, 0x00], true],
		["jx a8", [0xa0, 0x08, 0x00], false],
		["ret", [0x80, 0x00, 0x00], false],
		["retw.n", [0x1d, 0xf0], false],
		["nop", [0xf0, 0x20, 0x00], false],
		["l32r a2, …", [0x21, 0x00, 0xff], false],
	];

	it.each(instructions)("%s", async (_, bytes, call) => {
		const code = layout([[0x3d, 0xf0], bytes, [0x3d, 0xf0]]);
		const index = await symbolizerFor(
			buildSmallElf({
				machine: EM_XTENSA,
				code: [{ name: ".text", addr: TEXT, bytes: code.bytes }],
				symbols: [fn("f", TEXT, code.bytes.length)],
			}),
		);
		expect(await index.followsCall(code.ends[1] as number)).toBe(call);
		expect(await index.followsCall((code.ends[1] as number) - 1)).toBe(false);
	});

	it("gets back in step at the next function after a literal pool", async () => {
		// Literals (read as instructions they would shift the decoding), then a function.
		const code = layout([
			[0x25, 0x11, 0x22, 0x33, 0x44],
			[0x36, 0x41, 0x00],
			[0x25, 0x00, 0x00],
		]);
		const index = await symbolizerFor(
			buildSmallElf({
				machine: EM_XTENSA,
				code: [{ name: ".text", addr: TEXT, bytes: code.bytes }],
				symbols: [fn("g", TEXT + 5, 6)],
			}),
		);
		expect(await index.followsCall(TEXT + 11)).toBe(true);
	});
});
