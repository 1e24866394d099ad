import { describe, expect, it } from "vitest";
import { PAGE_BYTES } from "../../../src/lib/elf/page-cache";
import { buildElfIndex } from "../../../src/lib/elf-index/build";
import { openElfIndex } from "../../../src/lib/elf-index/read";
import { memorySource } from "../../../src/lib/zip/byte-source";
import type { SymbolSpec } from "../../fixtures/elf/elf-writer";
import { buildSmallElf, nops, STB, STT } from "../../fixtures/elf/small-elf";
import { countingSource, symbolizerFor } from "./helpers";

const TEXT = 0x42000000;

function symbol(
	name: string,
	value: number,
	size: number,
	type: number = STT.FUNC,
	bind: number = STB.GLOBAL,
	shndx = 1,
): SymbolSpec {
	return { name, value, size, type, bind, shndx };
}

async function functionsOf(symbols: SymbolSpec[], size = 0x400) {
	return symbolizerFor(
		buildSmallElf({ code: [{ name: ".text", addr: TEXT, bytes: nops(size) }], symbols }),
	);
}

describe("functionAt", () => {
	it("names the FUNC symbol whose [value, value + size) holds the address, with its value", async () => {
		const index = await functionsOf([
			symbol("first", TEXT, 0x20),
			symbol("second", TEXT + 0x20, 0x10),
		]);
		expect(await index.functionAt(TEXT)).toEqual({ name: "first", address: TEXT });
		expect(await index.functionAt(TEXT + 0x1f)).toEqual({ name: "first", address: TEXT });
		expect(await index.functionAt(TEXT + 0x20)).toEqual({ name: "second", address: TEXT + 0x20 });
		expect(await index.functionAt(TEXT + 0x2f)).toEqual({ name: "second", address: TEXT + 0x20 });
		expect(await index.functionAt(TEXT + 0x30)).toBeNull();
		expect(await index.functionAt(TEXT - 1)).toBeNull();
	});

	it("prefers a FUNC symbol to a NOTYPE one covering the same address", async () => {
		const index = await functionsOf([
			symbol("label", TEXT, 0x40, STT.NOTYPE),
			symbol("function", TEXT + 0x10, 0x10),
		]);
		expect(await index.functionAt(TEXT + 0x18)).toEqual({ name: "function", address: TEXT + 0x10 });
		expect(await index.functionAt(TEXT + 0x8)).toEqual({ name: "label", address: TEXT });
		expect(await index.functionAt(TEXT + 0x28)).toEqual({ name: "label", address: TEXT });
	});

	it("lets a symbol without a size cover up to the next symbol, where no sized one covers", async () => {
		const index = await functionsOf([
			symbol("_vector_table", TEXT, 0, STT.NOTYPE),
			symbol("handler", TEXT + 0x40, 0),
			symbol("sized", TEXT + 0x80, 0x10),
			symbol("tail", TEXT + 0xa0, 0, STT.NOTYPE),
		]);
		expect(await index.functionAt(TEXT + 0x3e)).toEqual({ name: "_vector_table", address: TEXT });
		expect(await index.functionAt(TEXT + 0x40)).toEqual({ name: "handler", address: TEXT + 0x40 });
		expect(await index.functionAt(TEXT + 0x7f)).toEqual({ name: "handler", address: TEXT + 0x40 });
		expect(await index.functionAt(TEXT + 0x88)).toEqual({ name: "sized", address: TEXT + 0x80 });
		// Past the sized symbol and before the next one: what gdb answers is nothing.
		expect(await index.functionAt(TEXT + 0x90)).toBeNull();
		// The last one reaches the end of its section, not beyond.
		expect(await index.functionAt(TEXT + 0x3ff)).toEqual({ name: "tail", address: TEXT + 0xa0 });
		expect(await index.functionAt(TEXT + 0x400)).toBeNull();
	});

	it("names an alias as gdb's backtrace does: global over local over weak, then the name last in order", async () => {
		const index = await functionsOf([
			symbol("start_cpu0", TEXT, 0x20, STT.FUNC, STB.WEAK),
			symbol("start_cpu0_default", TEXT, 0x20, STT.FUNC, STB.LOCAL),
			symbol("multi_heap_free", TEXT + 0x20, 0x20),
			symbol("multi_heap_free_impl", TEXT + 0x20, 0x20),
		]);
		expect((await index.functionAt(TEXT + 4))?.name).toBe("start_cpu0_default");
		expect((await index.functionAt(TEXT + 0x24))?.name).toBe("multi_heap_free_impl");
	});

	it("names a compiler's copy of a function by the function, at the copy's address", async () => {
		const index = await functionsOf([
			symbol("get_arg.isra.0", TEXT, 0x10, STT.FUNC, STB.LOCAL),
			symbol("get_arg$isra$0", TEXT + 0x10, 0x10, STT.FUNC, STB.LOCAL),
			symbol("global_stdio_init.part.0", TEXT + 0x20, 0x10, STT.FUNC, STB.LOCAL),
			symbol("spi_flash_command_erase_sector_4B", TEXT + 0x30, 0x10),
		]);
		expect(await index.functionAt(TEXT + 2)).toEqual({ name: "get_arg", address: TEXT });
		expect(await index.functionAt(TEXT + 0x12)).toEqual({ name: "get_arg", address: TEXT + 0x10 });
		expect((await index.functionAt(TEXT + 0x22))?.name).toBe("global_stdio_init");
		expect((await index.functionAt(TEXT + 0x32))?.name).toBe("spi_flash_command_erase_sector_4B");
	});

	it("ignores mapping symbols, local labels, absolute symbols, data and symbols outside code", async () => {
		const index = await functionsOf([
			symbol("$xrv32i2p1_m2p0_c2p0", TEXT, 0, STT.NOTYPE, STB.LOCAL),
			symbol("$d", TEXT + 0x100, 0, STT.NOTYPE, STB.LOCAL),
			symbol(".L42", TEXT + 0x10, 0, STT.NOTYPE, STB.LOCAL),
			symbol("ets_printf", TEXT + 0x20, 0, STT.NOTYPE, STB.GLOBAL, 0xfff1),
			symbol("table", TEXT + 0x30, 0x10, STT.OBJECT),
			symbol("elsewhere", TEXT + 0x40, 0x10, STT.FUNC, STB.GLOBAL, 2),
		]);
		for (const offset of [0, 0x10, 0x20, 0x30, 0x40, 0x100]) {
			expect(await index.functionAt(TEXT + offset), `+${offset}`).toBeNull();
		}
	});

	it("answers null for an ELF without a symbol table's symbols, and for non-addresses", async () => {
		const index = await functionsOf([]);
		expect(await index.functionAt(TEXT)).toBeNull();
		expect(await index.functionAt(-1)).toBeNull();
		expect(await index.functionAt(2 ** 32)).toBeNull();
		expect(await index.functionAt(1.5)).toBeNull();
	});

	it("finds symbols among many, reading a page or two of the index for each", async () => {
		const symbols = Array.from({ length: 40000 }, (_, i) => symbol(`f${i}`, TEXT + i * 4, 4));
		const elf = buildSmallElf({
			code: [{ name: ".text", addr: TEXT, bytes: nops(160000) }],
			symbols,
		});
		const bytes = await buildElfIndex(memorySource(elf));
		const source = countingSource(bytes);
		const index = await openElfIndex(source);
		expect(bytes.length).toBeGreaterThan(8 * PAGE_BYTES);
		for (const i of [0, 1, 4095, 4096, 8191, 12345, 39999]) {
			source.reads.length = 0;
			expect(await index.functionAt(TEXT + i * 4 + 2)).toEqual({
				name: `f${i}`,
				address: TEXT + i * 4,
			});
			const read = source.reads.reduce((sum, [, length]) => sum + length, 0);
			expect(read, `f${i}`).toBeLessThanOrEqual(2 * PAGE_BYTES);
		}
		source.reads.length = 0;
		await index.functionAt(TEXT + 12345 * 4);
		expect(source.reads).toEqual([]);
	});
});
