/** The relinked fixture ELF (`buildChipFixtureElf(chip, { shift })`) read by the ELF index. */
import { describe, expect, it } from "vitest";
import { buildChipFixtureElf, chipFacts } from "../../fixtures/elf/chip-elf";
import { appTextRange } from "../../fixtures/elf/chip-shift";
import { CHIPS } from "../../fixtures/elf/coredump-facts";
import { symbolizerFor } from "./helpers";

const SHIFT = 0x1000;
const hex = (n: number) => `0x${n.toString(16)}`;

describe.each(CHIPS)("the %s app ELF relinked with its flash code moved", (chip) => {
	it("names every frame gdb printed at its new address in flash and its old one elsewhere", async () => {
		const facts = chipFacts(chip);
		const text = appTextRange(facts);
		const shifted = buildChipFixtureElf(chip, { shift: SHIFT });
		expect(shifted).not.toEqual(buildChipFixtureElf(chip));
		const index = await symbolizerFor(shifted);
		const inFlash = facts.targets.filter((t) => t.lookup >= text.start && t.lookup < text.end);
		expect(inFlash.length).toBeGreaterThanOrEqual(2);
		expect(inFlash.length).toBeLessThan(facts.targets.length);
		for (const target of facts.targets) {
			const moved = inFlash.includes(target) ? SHIFT : 0;
			const at = target.lookup + moved;
			expect(await index.functionAt(at), hex(at)).toMatchObject({ name: target.function });
			expect(await index.lineAt(at), hex(at)).toEqual({ file: target.file, line: target.line });
			expect(await index.unwindAt(at), hex(at)).not.toBeNull();
			if (target.kind === "caller") expect(await index.followsCall(target.pc + moved)).toBe(true);
		}
		// The section starts later now: its old first bytes are no code.
		expect(await index.isCode(text.start)).toBe(false);
	});
});
