import { type ChipMemory, inRanges } from "./chip-memory";
import type { Symbolizer } from "./symbolizer";

/**
 * Where code is, for the unwinders: the chip's mask ROM (frames there are `rom`), and the
 * app's code — the ELF's executable sections when an ELF matched, else (unsymbolized) the
 * chip's instruction memory, the best a dump alone can tell.
 */
export class CodeMap {
	constructor(
		readonly chip: ChipMemory,
		readonly symbolizer: Symbolizer | null,
	) {}

	isRom(address: number): boolean {
		return inRanges(this.chip.rom, address);
	}

	/** Cheap test before asking the symbolizer: could `address` hold app code at all? */
	mayBeAppCode(address: number): boolean {
		return inRanges(this.chip.code, address) && !this.isRom(address);
	}

	async isAppCode(address: number): Promise<boolean> {
		if (this.isRom(address)) return false;
		return this.symbolizer ? this.symbolizer.isCode(address) : this.mayBeAppCode(address);
	}

	/** A plausible PC for a frame: ROM, or app code. */
	async isCode(address: number): Promise<boolean> {
		return this.isRom(address) || (await this.isAppCode(address));
	}
}
