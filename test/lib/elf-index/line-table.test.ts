import { describe, expect, it } from "vitest";
import type { LineProgramSpec, LineRow } from "../../fixtures/elf/line-program-writer";
import { buildSmallElf, nops, type SmallElfSpec } from "../../fixtures/elf/small-elf";
import { symbolizerFor } from "./helpers";

const TEXT = 0x40380000;
const DIR = "/builds/espressif/esp-idf/components/esp_system";

function elfWith(lines: LineProgramSpec[], units: SmallElfSpec["units"] = []) {
	return buildSmallElf({
		code: [{ name: ".iram0.text", addr: TEXT, bytes: nops(0x1000) }],
		lines,
		units,
	});
}

async function linesOf(lines: LineProgramSpec[], units: SmallElfSpec["units"] = []) {
	return symbolizerFor(elfWith(lines, units));
}

/** One sequence of rows (file 1, or 0 in DWARF 5 when asked) ending at `end`. */
function program(
	version: 2 | 3 | 4 | 5,
	rows: LineRow[],
	end: number,
	more: Partial<LineProgramSpec> = {},
): LineProgramSpec {
	return {
		version,
		dirs: version === 5 ? [DIR] : [DIR],
		files:
			version === 5
				? [
						{ name: "panic.c", dir: 0 },
						{ name: "panic.c", dir: 0 },
					]
				: [{ name: "panic.c", dir: 1 }],
		sequences: [{ rows, end }],
		...more,
	};
}

const row = (offset: number, line: number, more: Partial<LineRow> = {}): LineRow => ({
	address: TEXT + offset,
	file: 1,
	line,
	...more,
});

describe("lineAt reads .debug_line", () => {
	it.each([2, 3, 4, 5] as const)(
		"of DWARF %i: the row whose range covers the address",
		async (version) => {
			const index = await linesOf([
				program(version, [row(0x10, 470), row(0x18, 472), row(0x20, 480)], TEXT + 0x30),
			]);
			const file = `${DIR}/panic.c`;
			expect(await index.lineAt(TEXT + 0x0f)).toBeNull();
			expect(await index.lineAt(TEXT + 0x10)).toEqual({ file, line: 470 });
			expect(await index.lineAt(TEXT + 0x17)).toEqual({ file, line: 470 });
			expect(await index.lineAt(TEXT + 0x18)).toEqual({ file, line: 472 });
			expect(await index.lineAt(TEXT + 0x2f)).toEqual({ file, line: 480 });
			expect(await index.lineAt(TEXT + 0x30)).toBeNull();
		},
	);

	it.each(["line_strp", "strp", "string"] as const)(
		"of DWARF 5 naming files by %s, with MD5s",
		async (stringForm) => {
			const files = [
				{ name: "panic.c", dir: 0, md5: new Uint8Array(16).fill(1) },
				{ name: "panic.c", dir: 0, md5: new Uint8Array(16).fill(1) },
				{ name: "cpu.h", dir: 1, md5: new Uint8Array(16).fill(2) },
			];
			const dirs = [DIR, "/builds/espressif/esp-idf/components/esp_hw_support/include"];
			const rows = [row(0, 10, { file: 1 }), row(4, 20, { file: 2 }), row(8, 30, { file: 0 })];
			const index = await linesOf([program(5, rows, TEXT + 12, { dirs, files, stringForm })]);
			expect(await index.lineAt(TEXT + 2)).toEqual({ file: `${DIR}/panic.c`, line: 10 });
			expect(await index.lineAt(TEXT + 6)).toEqual({ file: `${dirs[1]}/cpu.h`, line: 20 });
			expect(await index.lineAt(TEXT + 10)).toEqual({ file: `${DIR}/panic.c`, line: 30 });
		},
	);

	it("of 64-bit DWARF units", async () => {
		const index = await linesOf([
			program(5, [row(0, 7)], TEXT + 4, { dwarf64: true }),
			program(4, [row(8, 9)], TEXT + 12, { dwarf64: true }),
		]);
		expect(await index.lineAt(TEXT)).toEqual({ file: `${DIR}/panic.c`, line: 7 });
		expect(await index.lineAt(TEXT + 8)).toEqual({ file: `${DIR}/panic.c`, line: 9 });
	});

	it("with every way of advancing: special opcodes, advance_pc, const_add_pc, fixed_advance_pc", async () => {
		const rows = [row(0, 1), row(3, 40), row(300, 2), row(302, 100000), row(2000, 5), row(2001, 6)];
		for (const encoding of ["special", "standard"] as const) {
			const index = await linesOf([program(4, rows, TEXT + 2010, { encoding })]);
			for (const r of rows) expect((await index.lineAt(r.address))?.line).toBe(r.line);
			expect((await index.lineAt(TEXT + 1999))?.line).toBe(100000);
		}
	});

	it("with another opcode base: fewer standard opcodes, or more whose operands are skipped", async () => {
		const fewer = await linesOf([
			program(2, [row(0, 3), row(30, 4)], TEXT + 40, { opcodeBase: 10 }),
		]);
		expect((await fewer.lineAt(TEXT + 31))?.line).toBe(4);
		const more = await linesOf([
			program(4, [row(0, 3), row(30, 4)], TEXT + 40, {
				opcodeBase: 16,
				standardLengths: [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 2, 0, 1],
				// Opcode 13, unknown to DWARF 5, with its two declared operands.
				prelude: [13, 0x81, 0x01, 0x05],
			}),
		]);
		expect((await more.lineAt(TEXT + 29))?.line).toBe(3);
		expect((await more.lineAt(TEXT + 31))?.line).toBe(4);
	});

	it("with files the program defines itself (DW_LNE_define_file, before DWARF 5)", async () => {
		const name = [...new TextEncoder().encode("late.c"), 0];
		const defineFile = [0, 1 + name.length + 3, 3, ...name, 1, 0, 0];
		const index = await linesOf([
			program(2, [row(0, 3), row(4, 8, { file: 2 })], TEXT + 8, { prelude: defineFile }),
		]);
		expect(await index.lineAt(TEXT + 4)).toEqual({ file: `${DIR}/late.c`, line: 8 });
	});

	it("scaling address advances by the minimum instruction length", async () => {
		const index = await linesOf([
			program(3, [row(0, 3), row(8, 4)], TEXT + 16, { minInstLength: 2 }),
		]);
		expect((await index.lineAt(TEXT + 7))?.line).toBe(3);
		expect((await index.lineAt(TEXT + 8))?.line).toBe(4);
	});

	it("from every unit of the section, skipping units of a version it does not read", async () => {
		const index = await linesOf([
			program(4, [row(0, 1)], TEXT + 4),
			{ ...program(4, [row(8, 9)], TEXT + 12), version: 6 as never },
			program(4, [row(8, 2)], TEXT + 12),
			program(3, [row(16, 3)], TEXT + 20),
		]);
		expect((await index.lineAt(TEXT + 8))?.line).toBe(2);
		expect((await index.lineAt(TEXT + 16))?.line).toBe(3);
	});

	it("keeping only sequences that start in code (not those of discarded functions at 0)", async () => {
		const discarded = { rows: [{ address: 0, file: 1, line: 99 }], end: 0x20 };
		const kept = { rows: [row(0, 5)], end: TEXT + 8 };
		const index = await linesOf([{ ...program(4, [], 0), sequences: [discarded, kept] }]);
		expect(await index.lineAt(0x10)).toBeNull();
		expect((await index.lineAt(TEXT + 4))?.line).toBe(5);
	});
});

describe("lineAt names files as gdb prints them", () => {
	const units = (
		name: string | undefined,
		compDir: string | undefined,
		version: 2 | 3 | 4 | 5 = 4,
	) => [{ version, line: 0, name, compDir, stringForm: "strp" as const }];

	it("joining a DWARF 4 file in directory 0 to the unit's compilation directory", async () => {
		const spec = program(4, [row(0, 126)], TEXT + 4, {
			dirs: [],
			files: [{ name: "windowspill_asm.S", dir: 0 }],
		});
		const index = await linesOf([spec], units("/x/other.c", "/Users/me/hal"));
		expect(await index.lineAt(TEXT)).toEqual({
			file: "/Users/me/hal/windowspill_asm.S",
			line: 126,
		});
		const bare = await linesOf([spec]);
		expect(await bare.lineAt(TEXT)).toEqual({ file: "windowspill_asm.S", line: 126 });
	});

	it("joining relative include directories to the compilation directory", async () => {
		const spec = program(3, [row(0, 5)], TEXT + 4, {
			dirs: ["include/soc"],
			files: [{ name: "gpio.h", dir: 1 }],
		});
		const index = await linesOf([spec], units("/x/main.c", "/project/build", 3));
		expect(await index.lineAt(TEXT)).toEqual({
			file: "/project/build/include/soc/gpio.h",
			line: 5,
		});
	});

	it("joining DWARF 5 relative directories to directory 0", async () => {
		const spec = program(5, [row(0, 5, { file: 1 })], TEXT + 4, {
			dirs: ["/project", "main/include"],
			files: [
				{ name: "main.c", dir: 0 },
				{ name: "board.h", dir: 1 },
			],
		});
		const index = await linesOf([spec]);
		expect(await index.lineAt(TEXT)).toEqual({ file: "/project/main/include/board.h", line: 5 });
	});

	it("keeping absolute file names whatever their directory", async () => {
		const spec = program(4, [row(0, 5)], TEXT + 4, {
			dirs: ["/elsewhere"],
			files: [{ name: "/abs/file.c", dir: 1 }],
		});
		expect(await (await linesOf([spec])).lineAt(TEXT)).toEqual({ file: "/abs/file.c", line: 5 });
	});

	it("showing the unit's primary file by the name the unit gives it", async () => {
		const comp = "/builds/idf/crosstool-NG/.build/riscv32-esp-elf/libstdc++-v3/libsupc++";
		const spec = program(5, [row(0, 33, { file: 1 }), row(4, 40, { file: 2 })], TEXT + 8, {
			dirs: [comp, "/builds/idf/gcc/libstdc++-v3/libsupc++"],
			files: [
				{ name: "atomicity.cc", dir: 0 },
				{ name: "atomicity.cc", dir: 0 },
				{ name: "new", dir: 1 },
			],
		});
		const index = await linesOf([spec], units("atomicity.cc", comp, 5));
		expect(await index.lineAt(TEXT)).toEqual({ file: "atomicity.cc", line: 33 });
		expect(await index.lineAt(TEXT + 4)).toEqual({
			file: "/builds/idf/gcc/libstdc++-v3/libsupc++/new",
			line: 40,
		});
	});
});

describe("lineAt picks rows as gdb does", () => {
	const file = `${DIR}/panic.c`;
	const two = {
		files: [
			{ name: "panic.c", dir: 1 },
			{ name: "cpu.h", dir: 1 },
		],
	};

	it("among rows at one address: a statement row over a later non-statement one", async () => {
		const index = await linesOf([
			program(4, [row(0, 77), row(0, 78, { isStmt: false }), row(4, 80)], TEXT + 8),
		]);
		expect(await index.lineAt(TEXT)).toEqual({ file, line: 77 });
	});

	it("among rows at one address: the last one when all are statements, or none is", async () => {
		const stmts = await linesOf([program(4, [row(0, 77), row(0, 78), row(4, 80)], TEXT + 8)]);
		expect(await stmts.lineAt(TEXT)).toEqual({ file, line: 78 });
		const neither = await linesOf([
			program(
				4,
				[row(0, 77, { isStmt: false }), row(0, 78, { isStmt: false }), row(4, 80)],
				TEXT + 8,
			),
		]);
		expect(await neither.lineAt(TEXT)).toEqual({ file, line: 78 });
	});

	it("a switch to another file at the address of a statement row, by a non-statement row, is dropped", async () => {
		const index = await linesOf([
			program(4, [row(0, 10), row(0, 20, { file: 2, isStmt: false }), row(4, 11)], TEXT + 8, two),
		]);
		expect(await index.lineAt(TEXT)).toEqual({ file, line: 10 });
	});

	it("a switch to another file by a statement row ends the first file's rows there", async () => {
		const index = await linesOf([
			program(4, [row(0, 10), row(0, 20, { file: 2 }), row(4, 11)], TEXT + 8, two),
		]);
		expect(await index.lineAt(TEXT)).toEqual({ file: `${DIR}/cpu.h`, line: 20 });
		expect(await index.lineAt(TEXT + 4)).toEqual({ file, line: 11 });
	});

	it("rows of line 0 are not recorded: the row before goes on", async () => {
		const index = await linesOf([program(4, [row(0, 10), row(4, 0), row(8, 12)], TEXT + 12)]);
		expect(await index.lineAt(TEXT + 5)).toEqual({ file, line: 10 });
	});

	it("after a discriminator, a repeat of the line is not recorded (the vfs_uart.c case)", async () => {
		const rows = [
			row(0, 434),
			row(8, 434, { discriminator: 1 }),
			row(8, 435, { isStmt: false }),
			row(14, 961),
		];
		const index = await linesOf([program(4, rows, TEXT + 20)]);
		expect(await index.lineAt(TEXT + 8)).toEqual({ file, line: 435 });
		const plain = await linesOf([
			program(
				4,
				rows.map((r) => ({ ...r, discriminator: undefined })),
				TEXT + 20,
			),
		]);
		expect(await plain.lineAt(TEXT + 8)).toEqual({ file, line: 434 });
	});
});
