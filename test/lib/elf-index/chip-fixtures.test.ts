import { beforeAll, describe, expect, it } from "vitest";
import type { Symbolizer } from "../../../src/lib/coredump/symbolizer";
import { buildChipFixtureElf, chipFacts, plantedCalls } from "../../fixtures/elf/chip-elf";
import { functionSymbol } from "../../fixtures/elf/chip-targets";
import { CHIPS, coredumpFact } from "../../fixtures/elf/coredump-facts";
import { type CieFact, type FdeFact, parseCfi } from "../../fixtures/elf/readelf-facts";
import { textRows } from "./cfi-text";
import { symbolizerFor } from "./helpers";

const hex = (n: number) => `0x${n.toString(16)}`;

describe.each(CHIPS)("the index of the %s app ELF", (chip) => {
	const facts = chipFacts(chip);
	let index: Symbolizer;
	beforeAll(async () => {
		index = await symbolizerFor(buildChipFixtureElf(chip));
	});

	it("has a target for every frame gdb printed in app code", () => {
		expect(facts.targets.length).toBeGreaterThanOrEqual(8);
	});

	it("names the function and file:line gdb printed for each frame (callers at return address − 1)", async () => {
		for (const target of facts.targets) {
			const where = `${target.kind} ${hex(target.pc)}`;
			expect(await index.functionAt(target.lookup), where).toMatchObject({ name: target.function });
			expect(await index.lineAt(target.lookup), where).toEqual({
				file: target.file,
				line: target.line,
			});
			expect(await index.isCode(target.lookup), where).toBe(true);
		}
	});

	it("answers a caller's return address itself with another line, as gdb would", async () => {
		for (const target of facts.targets.filter((t) => t.kind === "caller")) {
			const after = await index.lineAt(target.pc);
			expect(after, hex(target.pc)).not.toEqual({ file: target.file, line: target.line });
		}
	});

	it("gives a function's address as its symbol's value", async () => {
		for (const target of facts.targets) {
			const symbol = functionSymbol(facts, { address: target.lookup });
			expect((await index.functionAt(target.lookup))?.address, hex(target.lookup)).toBe(
				symbol?.value,
			);
		}
	});

	it("gives the line gdb printed for threads stopped where it printed no PC, anywhere in the function", async () => {
		expect(facts.defaults.length).toBeGreaterThan(0);
		for (const fallback of facts.defaults) {
			const symbol = functionSymbol(facts, { name: fallback.function });
			expect(symbol, fallback.function).toBeDefined();
			const start = symbol?.value ?? 0;
			expect(await index.lineAt(start)).toEqual({ file: fallback.file, line: fallback.line });
		}
	});

	it("sees a linking call before every return address in app code, and none at the PCs", async () => {
		const calls = plantedCalls(chip);
		expect(calls.size).toBeGreaterThan(3);
		for (const target of facts.targets.filter((t) => t.kind === "caller")) {
			expect(await index.followsCall(target.pc), hex(target.pc)).toBe(true);
			expect(await index.followsCall(target.pc - 1), hex(target.pc - 1)).toBe(false);
		}
		for (const target of facts.targets.filter((t) => t.kind === "pc")) {
			expect(await index.followsCall(target.pc), hex(target.pc)).toBe(false);
		}
	});

	it("answers outside code as gdb would: no function, no line, not code", async () => {
		const rodata = facts.sections.find((s) => s.name === ".flash.rodata");
		const address = (rodata?.addr ?? 0) + 16;
		expect(await index.isCode(address)).toBe(false);
		expect(await index.functionAt(address)).toBeNull();
		expect(await index.lineAt(address)).toBeNull();
		expect(await index.unwindAt(address)).toBeNull();
		expect(await index.followsCall(address)).toBe(false);
	});

	it("unwinds every address of every FDE readelf printed to the row its instructions give", async () => {
		const { debugFrame } = parseCfi(coredumpFact(chip, "cfi.txt"));
		const cies = new Map(
			debugFrame.filter((e): e is CieFact => e.kind === "cie").map((c) => [c.offset, c]),
		);
		const fdes = debugFrame.filter((e): e is FdeFact => e.kind === "fde");
		expect(fdes.length).toBeGreaterThan(15);
		let checked = 0;
		for (const fde of fdes) {
			const cie = cies.get(fde.cieOffset) as CieFact;
			for (const { from, to, row } of textRows(fde, cie)) {
				for (let pc = from; pc < to; pc++) {
					const got = await index.unwindAt(pc);
					expect(got?.cfa, hex(pc)).toEqual(row.cfa);
					expect(got?.returnAddressRegister).toBe(cie.returnAddressRegister);
					const rules = new Map(
						[...(got?.rules ?? [])].map(([reg, rule]) => [
							reg,
							rule.kind === "offset" ? rule.offset : rule.kind,
						]),
					);
					expect(rules, hex(pc)).toEqual(row.rules);
					checked++;
				}
			}
		}
		expect(checked).toBeGreaterThan(300);
	});
});

describe("rows readelf -wF printed for the fixture ELFs", () => {
	it("esp32c3: esp_system_abort saves ra at CFA − 4 with CFA = sp + 16 after its prologue", async () => {
		const index = await symbolizerFor(buildChipFixtureElf("esp32c3"));
		expect(await index.unwindAt(0x40383686)).toEqual({
			cfa: { register: 2, offset: 0 },
			rules: new Map(),
			returnAddressRegister: 1,
		});
		expect(await index.unwindAt(0x4038368d)).toEqual({
			cfa: { register: 2, offset: 16 },
			rules: new Map([[1, { kind: "offset", offset: -4 }]]),
			returnAddressRegister: 1,
		});
	});

	it("esp32c3: vPortTaskWrapper marks ra undefined, which ends the backtrace", async () => {
		const index = await symbolizerFor(buildChipFixtureElf("esp32c3"));
		const row = await index.unwindAt(0x40384087);
		expect(row?.cfa).toEqual({ register: 2, offset: 16 });
		expect(row?.rules.get(1)).toEqual({ kind: "undefined" });
	});

	it("esp32: Xtensa FDEs give CFA = a1 + 32 after entry, with a0 as return column", async () => {
		const index = await symbolizerFor(buildChipFixtureElf("esp32"));
		expect(await index.unwindAt(0x4008510b)).toEqual({
			cfa: { register: 1, offset: 32 },
			rules: new Map(),
			returnAddressRegister: 0,
		});
		expect((await index.unwindAt(0x4008510c))?.cfa).toEqual({ register: 1, offset: 0 });
	});
});
