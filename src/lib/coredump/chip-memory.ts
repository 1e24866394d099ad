import { chipName } from "../chips";

export type Arch = "xtensa" | "riscv";

/** A half-open address range [start, end). */
export type Range = readonly [start: number, end: number];

/**
 * What the decoder needs of a chip's address map (ESP-IDF `soc.h` per target): the mask ROM
 * (frames there are `rom`), where code can run from (internal instruction RAM and the flash
 * cache window; a PC elsewhere is not code), and where task control blocks and stacks can live
 * (internal data RAM, RTC RAM, external RAM).
 */
export interface ChipMemory {
	arch: Arch;
	rom: readonly Range[];
	code: readonly Range[];
	data: readonly Range[];
}

const XTENSA_CHIPS: Record<string, ChipMemory> = {
	esp32: {
		arch: "xtensa",
		rom: [[0x40000000, 0x40070000]],
		code: [
			[0x40070000, 0x400a0000],
			[0x400c0000, 0x40c00000],
			[0x50000000, 0x50002000],
		],
		data: [
			[0x3ffae000, 0x40000000],
			[0x3ff80000, 0x3ff82000],
			[0x50000000, 0x50002000],
			[0x3f800000, 0x3fc00000],
		],
	},
	esp32s2: {
		arch: "xtensa",
		rom: [[0x40000000, 0x40020000]],
		code: [
			[0x40020000, 0x40072000],
			[0x40080000, 0x40800000],
		],
		data: [
			[0x3ffb0000, 0x40000000],
			[0x3ff9e000, 0x3ffa0000],
			[0x50000000, 0x50002000],
			[0x3f500000, 0x3ff80000],
		],
	},
	esp32s3: {
		arch: "xtensa",
		rom: [[0x40000000, 0x40060000]],
		code: [
			[0x40370000, 0x403e0000],
			[0x42000000, 0x44000000],
			[0x600fe000, 0x60100000],
		],
		data: [
			[0x3fc88000, 0x3fd00000],
			[0x600fe000, 0x60100000],
			[0x50000000, 0x50002000],
			[0x3c000000, 0x3e000000],
		],
	},
};

/** RISC-V chips: ROM at 0x40000000 (the P4 elsewhere), one SRAM for code and data. */
function riscv(rom: Range | null, sram: Range, flash: Range, more: Range[] = []): ChipMemory {
	return {
		arch: "riscv",
		rom: rom ? [rom] : [],
		code: [sram, flash, ...more],
		data: [sram, ...more],
	};
}

const RISCV_CHIPS: Record<string, ChipMemory> = {
	esp32c2: riscv(
		[0x40000000, 0x40090000],
		[0x4037c000, 0x403c0000],
		[0x42000000, 0x42400000],
		[[0x3fca0000, 0x3fce0000]],
	),
	esp32c3: riscv(
		[0x40000000, 0x40060000],
		[0x4037c000, 0x403e0000],
		[0x42000000, 0x42800000],
		[
			[0x3fc80000, 0x3fce0000],
			[0x50000000, 0x50002000],
		],
	),
	esp32c6: riscv(
		[0x40000000, 0x40050000],
		[0x40800000, 0x40880000],
		[0x42000000, 0x43000000],
		[[0x50000000, 0x50004000]],
	),
	esp32c5: riscv(
		[0x40000000, 0x40050000],
		[0x40800000, 0x40860000],
		[0x42000000, 0x44000000],
		[[0x50000000, 0x50004000]],
	),
	esp32c61: riscv([0x40000000, 0x40050000], [0x40800000, 0x40850000], [0x42000000, 0x44000000]),
	esp32h2: riscv(
		[0x40000000, 0x40020000],
		[0x40800000, 0x40850000],
		[0x42000000, 0x42800000],
		[[0x50000000, 0x50001000]],
	),
	esp32h21: riscv(
		[0x40000000, 0x40020000],
		[0x40800000, 0x40850000],
		[0x42000000, 0x42800000],
		[[0x50000000, 0x50001000]],
	),
	esp32h4: riscv(
		[0x40000000, 0x40050000],
		[0x40810000, 0x40860000],
		[0x42000000, 0x44000000],
		[[0x50000000, 0x50004000]],
	),
	esp32p4: riscv(
		[0x4fc00000, 0x4fc20000],
		[0x4ff00000, 0x4ffc0000],
		[0x40000000, 0x44000000],
		[
			[0x50108000, 0x50110000],
			[0x30100000, 0x30102000],
			[0x48000000, 0x4c000000],
		],
	),
	esp32s31: riscv(
		null,
		[0x2f000000, 0x2f080000],
		[0x40000000, 0x48000000],
		[
			[0x2e000000, 0x2e008000],
			[0x50000000, 0x54000000],
		],
	),
};

/** Used when a dump does not name its chip (a bare ELF core without the info note). */
const GENERIC: Record<Arch, ChipMemory> = {
	xtensa: {
		arch: "xtensa",
		rom: [[0x40000000, 0x40020000]],
		code: [[0x40020000, 0x44000000]],
		data: [[0x3f400000, 0x40000000]],
	},
	riscv: {
		arch: "riscv",
		rom: [],
		code: [[0x2f000000, 0x50110000]],
		data: [[0x2e000000, 0x50110000]],
	},
};

export function chipMemory(chip: string | null, arch: Arch): ChipMemory {
	const known = chip ? (XTENSA_CHIPS[chip] ?? RISCV_CHIPS[chip]) : undefined;
	return known && known.arch === arch ? known : GENERIC[arch];
}

/** The architecture of a chip id from a dump's version word; null for ids we do not know. */
export function chipById(id: number): { name: string; arch: Arch } | null {
	const name = chipName(id);
	if (!name) return null;
	return { name, arch: name in XTENSA_CHIPS ? "xtensa" : "riscv" };
}

export function inRanges(ranges: readonly Range[], address: number): boolean {
	for (const [start, end] of ranges) if (address >= start && address < end) return true;
	return false;
}

/** ESP-IDF gives a task whose stack pointer is broken a small fake stack in this window. */
export function isFakeStackAddress(chip: ChipMemory, address: number): boolean {
	return address >= 0x20000000 && address < 0x30000000 && !inRanges(chip.data, address);
}
