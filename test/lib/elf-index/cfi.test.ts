import { describe, expect, it } from "vitest";
import type { RegisterRule, UnwindRow } from "../../../src/lib/coredump/symbolizer";
import {
	type CieSpec,
	cfa,
	type FdeSpec,
	type FrameEntrySpec,
} from "../../fixtures/elf/cfi-writer";
import { SHF, SHT } from "../../fixtures/elf/elf-writer";
import { buildSmallElf, nops, type SmallElfSpec } from "../../fixtures/elf/small-elf";
import { symbolizerFor } from "./helpers";

const TEXT = 0x42000000;
const SP = 2;
const RA = 1;
const S0 = 8;

const riscvCie = (instructions = cfa.defCfaRegister(SP), more: Partial<CieSpec> = {}): CieSpec => ({
	kind: "cie",
	codeAlign: 1,
	dataAlign: -4,
	returnAddressRegister: RA,
	instructions,
	...more,
});

const fde = (
	cie: number,
	pcBegin: number,
	pcRange: number,
	instructions: number[] = [],
): FdeSpec => ({
	kind: "fde",
	cie,
	pcBegin,
	pcRange,
	instructions,
});

async function unwinderOf(spec: Partial<SmallElfSpec>) {
	return symbolizerFor(
		buildSmallElf({ code: [{ name: ".text", addr: TEXT, bytes: nops(0x400) }], ...spec }),
	);
}

function row(
	cfaOffset: number | null,
	rules: [number, RegisterRule][] = [],
	register = SP,
): UnwindRow {
	return {
		cfa: cfaOffset === null ? null : { register, offset: cfaOffset },
		rules: new Map(rules),
		returnAddressRegister: RA,
	};
}

const saved = (offset: number): RegisterRule => ({ kind: "offset", offset });

/** A prologue and epilogue as GCC writes them for RISC-V. */
const PROLOGUE = [
	...cfa.advance(2),
	...cfa.defCfaOffset(16),
	...cfa.advance(2),
	...cfa.offset(RA, 1),
	...cfa.offset(S0, 2),
	...cfa.advance(10),
	...cfa.rememberState(),
	...cfa.restore(RA),
	...cfa.advance(2),
	...cfa.restore(S0),
	...cfa.advance(2),
	...cfa.defCfaOffset(0),
	...cfa.advance(2),
	...cfa.restoreState(),
];

describe("unwindAt runs .debug_frame", () => {
	it("through a prologue and an epilogue, remember/restore_state included", async () => {
		const index = await unwinderOf({ debugFrame: [riscvCie(), fde(0, TEXT, 0x20, PROLOGUE)] });
		expect(await index.unwindAt(TEXT)).toEqual(row(0));
		expect(await index.unwindAt(TEXT + 1)).toEqual(row(0));
		expect(await index.unwindAt(TEXT + 2)).toEqual(row(16));
		expect(await index.unwindAt(TEXT + 4)).toEqual(
			row(16, [
				[RA, saved(-4)],
				[S0, saved(-8)],
			]),
		);
		expect(await index.unwindAt(TEXT + 14)).toEqual(row(16, [[S0, saved(-8)]]));
		expect(await index.unwindAt(TEXT + 16)).toEqual(row(16));
		expect(await index.unwindAt(TEXT + 18)).toEqual(row(0));
		expect(await index.unwindAt(TEXT + 20)).toEqual(
			row(16, [
				[RA, saved(-4)],
				[S0, saved(-8)],
			]),
		);
		expect(await index.unwindAt(TEXT + 0x1f)).toEqual(
			row(16, [
				[RA, saved(-4)],
				[S0, saved(-8)],
			]),
		);
		expect(await index.unwindAt(TEXT + 0x20)).toBeNull();
		expect(await index.unwindAt(TEXT - 1)).toBeNull();
	});

	it.each([1, 3, 4] as const)("with CIE version %i", async (version) => {
		const index = await unwinderOf({
			debugFrame: [
				riscvCie(cfa.defCfa(SP, 0), { version }),
				fde(0, TEXT, 8, [...cfa.advance(4), ...cfa.defCfaOffset(32)]),
			],
		});
		expect(await index.unwindAt(TEXT + 3)).toEqual(row(0));
		expect(await index.unwindAt(TEXT + 4)).toEqual(row(32));
	});

	it("with every advance and DW_CFA_set_loc", async () => {
		const program = [
			...cfa.advance1(3),
			...cfa.defCfaOffset(1),
			...cfa.advance2(300),
			...cfa.defCfaOffset(2),
			...cfa.advance4(70000),
			...cfa.defCfaOffset(3),
			...cfa.setLoc(TEXT + 0x20000),
			...cfa.defCfaOffset(4),
		];
		const index = await unwinderOf({
			code: [{ name: ".text", addr: TEXT, bytes: nops(0x30000) }],
			debugFrame: [riscvCie(), fde(0, TEXT, 0x30000, program)],
		});
		expect((await index.unwindAt(TEXT + 2))?.cfa?.offset).toBe(0);
		expect((await index.unwindAt(TEXT + 3))?.cfa?.offset).toBe(1);
		expect((await index.unwindAt(TEXT + 303))?.cfa?.offset).toBe(2);
		expect((await index.unwindAt(TEXT + 70302))?.cfa?.offset).toBe(2);
		expect((await index.unwindAt(TEXT + 70303))?.cfa?.offset).toBe(3);
		expect((await index.unwindAt(TEXT + 0x20000))?.cfa?.offset).toBe(4);
	});

	it("with the code and data alignment factors applied", async () => {
		const cie = riscvCie(cfa.defCfa(SP, 0), { codeAlign: 2, dataAlign: 4 });
		const index = await unwinderOf({
			debugFrame: [
				cie,
				fde(0, TEXT, 16, [...cfa.advance(3), ...cfa.offset(RA, 2), ...cfa.defCfaSf(S0, 5)]),
			],
		});
		expect(await index.unwindAt(TEXT + 5)).toEqual(row(0));
		expect(await index.unwindAt(TEXT + 6)).toEqual(row(20, [[RA, saved(8)]], S0));
	});

	it("with every register rule", async () => {
		const program = [
			...cfa.undefined(3),
			...cfa.sameValue(4),
			...cfa.offsetExtended(5, 3),
			...cfa.offsetExtendedSf(6, -2),
			...cfa.valOffset(7, 1),
			...cfa.valOffsetSf(9, -1),
			...cfa.register(10, 11),
			...cfa.offset(100, 1),
			...cfa.expression(12, [0x70, 0x00]),
			...cfa.valExpression(13, [0x70, 0x00]),
			...cfa.argsSize(16),
			...cfa.nop(),
		];
		const index = await unwinderOf({ debugFrame: [riscvCie(), fde(0, TEXT, 8, program)] });
		expect(await index.unwindAt(TEXT)).toEqual(
			row(0, [
				[3, { kind: "undefined" }],
				[4, { kind: "same" }],
				[5, saved(-12)],
				[6, saved(8)],
				[7, { kind: "val_offset", offset: -4 }],
				[9, { kind: "val_offset", offset: 4 }],
				[10, { kind: "register", register: 11 }],
				[100, saved(-4)],
				[12, { kind: "undefined" }],
				[13, { kind: "undefined" }],
			]),
		);
	});

	it("restoring a register to the CIE's rule, not to none", async () => {
		const cie = riscvCie([...cfa.defCfaRegister(SP), ...cfa.sameValue(S0), ...cfa.undefined(RA)]);
		const program = [
			...cfa.offset(S0, 2),
			...cfa.offset(RA, 1),
			...cfa.advance(4),
			...cfa.restore(S0),
			...cfa.restoreExtended(RA),
		];
		const index = await unwinderOf({ debugFrame: [cie, fde(0, TEXT, 8, program)] });
		expect(await index.unwindAt(TEXT)).toEqual(
			row(0, [
				[S0, saved(-8)],
				[RA, saved(-4)],
			]),
		);
		expect(await index.unwindAt(TEXT + 4)).toEqual(
			row(0, [
				[S0, { kind: "same" }],
				[RA, { kind: "undefined" }],
			]),
		);
	});

	it("reporting a CFA given by an expression as null, and one defined later again", async () => {
		const program = [
			...cfa.defCfaExpression([0x72, 0x10]),
			...cfa.advance(4),
			...cfa.defCfa(SP, 8),
		];
		const index = await unwinderOf({ debugFrame: [riscvCie(), fde(0, TEXT, 8, program)] });
		expect((await index.unwindAt(TEXT))?.cfa).toBeNull();
		expect((await index.unwindAt(TEXT + 4))?.cfa).toEqual({ register: SP, offset: 8 });
	});

	it("refusing rows it cannot trust: restore_state with nothing remembered, unknown opcodes", async () => {
		const index = await unwinderOf({
			debugFrame: [riscvCie(), fde(0, TEXT, 8, cfa.restoreState()), fde(0, TEXT + 8, 8, [0x3f])],
		});
		expect(await index.unwindAt(TEXT)).toBeNull();
		expect(await index.unwindAt(TEXT + 8)).toBeNull();
	});

	it("bounding remember_state to 64 levels", async () => {
		const deep = (n: number) => Array.from({ length: n }, () => cfa.rememberState()).flat();
		const index = await unwinderOf({
			debugFrame: [riscvCie(), fde(0, TEXT, 8, deep(64)), fde(0, TEXT + 8, 8, deep(65))],
		});
		expect(await index.unwindAt(TEXT)).toEqual(row(0));
		expect(await index.unwindAt(TEXT + 8)).toBeNull();
	});
});

describe("unwindAt runs .eh_frame", () => {
	const zR = (encoding: number): CieSpec =>
		riscvCie(cfa.defCfaRegister(SP), {
			version: 1,
			augmentation: "zR",
			augmentationData: [encoding],
		});
	const program = [...cfa.advance(2), ...cfa.defCfaOffset(48)];

	it.each([
		["absptr", 0x00],
		["udata2", 0x02],
		["udata4", 0x03],
		["udata8", 0x04],
		["uleb128", 0x01],
		["sleb128", 0x09],
		["sdata4", 0x0b],
		["sdata8", 0x0c],
		["pcrel sdata4", 0x1b],
		["pcrel sdata2", 0x1a],
		["pcrel sdata8", 0x1c],
		["datarel sdata4", 0x3b],
	])("with FDE addresses encoded %s", async (_, encoding) => {
		const base = encoding === 0x02 || encoding === 0x1a ? 0x3c000100 : TEXT;
		const dataBase = 0x3fc80000;
		const code = [{ name: ".text", addr: base, bytes: nops(0x100) }];
		const got = {
			name: ".got",
			type: SHT.PROGBITS,
			flags: SHF.ALLOC | SHF.WRITE,
			addr: dataBase,
			data: new Uint8Array(4),
		};
		const index = await unwinderOf({
			code: encoding === 0x02 ? [{ name: ".text", addr: 0x1000, bytes: nops(0x100) }] : code,
			ehFrame: {
				entries: [zR(encoding), fde(0, encoding === 0x02 ? 0x1000 : base, 0x10, program)],
				options: { encoding, dataBase },
			},
			extra: [got],
		});
		const start = encoding === 0x02 ? 0x1000 : base;
		expect(await index.unwindAt(start + 1)).toEqual(row(0));
		expect(await index.unwindAt(start + 2)).toEqual(row(48));
		expect(await index.unwindAt(start + 0x10)).toBeNull();
	});

	it("with augmentation zPLR (personality and LSDA) as GCC writes for C++", async () => {
		const cie = riscvCie(cfa.defCfaRegister(SP), {
			version: 1,
			augmentation: "zPLR",
			augmentationData: [0x9b, 0xfd, 0x2e, 0xc6, 0x03, 0x1b, 0x1b],
		});
		const index = await unwinderOf({ ehFrame: { entries: [cie, fde(0, TEXT, 0x10, program)] } });
		expect(await index.unwindAt(TEXT + 2)).toEqual(row(48));
	});

	it("with DW_CFA_set_loc addresses in the FDE's encoding", async () => {
		const setLoc = (address: number) => [0x01, ...new Uint8Array(new Int32Array([address]).buffer)];
		const index = await unwinderOf({
			ehFrame: {
				entries: [zR(0x03), fde(0, TEXT, 0x10, [...setLoc(TEXT + 6), ...cfa.defCfaOffset(8)])],
				options: { encoding: 0x03 },
			},
		});
		expect(await index.unwindAt(TEXT + 5)).toEqual(row(0));
		expect(await index.unwindAt(TEXT + 6)).toEqual(row(8));
	});

	it("skipping FDEs of CIEs it cannot read, keeping the others", async () => {
		const unknown = riscvCie(cfa.defCfaRegister(SP), {
			version: 1,
			augmentation: "zX",
			augmentationData: [0x1b],
		});
		const index = await unwinderOf({
			ehFrame: {
				entries: [
					unknown,
					fde(0, TEXT, 0x10, program),
					zR(0x1b),
					fde(2, TEXT + 0x10, 0x10, program),
				],
			},
		});
		expect(await index.unwindAt(TEXT + 2)).toBeNull();
		expect(await index.unwindAt(TEXT + 0x12)).toEqual(row(48));
		const odd = riscvCie(cfa.defCfaRegister(SP), {
			version: 2 as 1,
			augmentation: "zR",
			augmentationData: [0x1b],
		});
		const skipped = await unwinderOf({ ehFrame: { entries: [odd, fde(0, TEXT, 0x10, program)] } });
		expect(await skipped.unwindAt(TEXT + 2)).toBeNull();
	});

	it("giving way to .debug_frame where both cover a PC", async () => {
		const index = await unwinderOf({
			debugFrame: [riscvCie(), fde(0, TEXT + 0x10, 0x10, [...cfa.defCfaOffset(96)])],
			ehFrame: { entries: [zR(0x1b), fde(0, TEXT, 0x40, program)] },
		});
		expect(await index.unwindAt(TEXT + 4)).toEqual(row(48));
		expect(await index.unwindAt(TEXT + 0x10)).toEqual(row(96));
		expect(await index.unwindAt(TEXT + 0x1f)).toEqual(row(96));
		expect(await index.unwindAt(TEXT + 0x20)).toEqual(row(48));
	});
});

describe("unwindAt keeps only FDEs of code", () => {
	it("dropping FDEs of discarded functions (at 0) and outside code", async () => {
		const entries: FrameEntrySpec[] = [
			riscvCie(),
			fde(0, 0, 0x10, cfa.defCfaOffset(8)),
			fde(0, 0x3fc80000, 0x10),
		];
		const index = await unwinderOf({ debugFrame: entries });
		expect(await index.unwindAt(4)).toBeNull();
		expect(await index.unwindAt(0x3fc80004)).toBeNull();
	});
});
