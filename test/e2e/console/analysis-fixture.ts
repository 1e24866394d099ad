/*
 * The analysis SPEC §10 asks of the ESP32 sample dump (/work/shared/coredumps/esp32), written
 * out from what esp-coredump (gdb) printed for it: the crashed task's frames with their
 * functions and file:line, two ROM frames, and one more task.
 */
import type { CoredumpAnalysis, Frame } from "../../../src/lib/coredump/analysis";

const IDF = "/builds/espressif/esp-idf/components";
const APP = "/Users/erhan/dev/esp-coredump/tests/test_apps/main/test_core_dump.c";

const app = (pc: string, fn: string, offset: number, file: string, line: number): Frame => ({
	pc,
	function: fn,
	offset,
	file,
	line,
	kind: "app",
});
const rom = (pc: string, fn: string): Frame => ({
	pc,
	function: fn,
	offset: null,
	file: null,
	line: null,
	kind: "rom",
});

const crashed: Frame[] = [
	app("0x4008110d", "panic_abort", 21, `${IDF}/esp_system/panic.c`, 472),
	app("0x4008510c", "esp_system_abort", 8, `${IDF}/esp_system/port/esp_system_chip.c`, 93),
	app("0x4008a6f0", "abort", 140, `${IDF}/newlib/abort.c`, 38),
	app("0x400d66bc", "fail_once", 20, APP, 14),
	rom("0x40007c78", "ets_write_char"),
	rom("0x4000814b", "ets_printf"),
	app("0x400d66d4", "app_main", 20, APP, 20),
	app("0x400e40a3", "main_task", 147, `${IDF}/freertos/app_startup.c`, 208),
	app(
		"0x40085910",
		"vPortTaskWrapper",
		8,
		`${IDF}/freertos/FreeRTOS-Kernel/portable/xtensa/port.c`,
		134,
	),
];

export const ESP32_ANALYSIS: CoredumpAnalysis = {
	status: "decoded",
	error_code: null,
	format: "elf",
	dump_version: "1.2",
	checksum: "crc32",
	chip: "esp32",
	chip_rev: 300,
	elf_sha256_prefix: "1b43c5e74",
	firmware_version: "1.0.0",
	matched_by: "firmware_version",
	crashed_task: { tcb: "0x3ffafba0", name: "main" },
	in_isr: false,
	panic_reason: "abort() was called at PC 0x400d66b9 on core 0",
	exception: {
		arch: "xtensa",
		cause: 29,
		name: "StoreProhibited",
		address: "0x0",
		epc: ["0x40084013", "0x0", "0x0", "0x0", "0x0", "0x0"],
	},
	registers: { pc: "0x4008110d", ps: "0x60820", sar: "0x10", a0: "0x8008510c", a1: "0x3ffb4ec0" },
	backtrace: crashed,
	tasks: [
		{
			tcb: "0x3ffafba0",
			name: "main",
			priority: 1,
			stack: { start: "0x3ffb4e00", end: "0x3ffb5110", used: 368, free: 3724 },
			pc: "0x4008110d",
			backtrace: crashed,
		},
		{
			tcb: "0x3ffafe50",
			name: "IDLE1",
			priority: 0,
			stack: { start: "0x3ffb6a00", end: "0x3ffb7000", used: 416, free: 1108 },
			pc: "0x40083ff2",
			backtrace: [
				app("0x40083ff2", "esp_cpu_wait_for_intr", 6, `${IDF}/esp_hw_support/cpu.c`, 145),
				app("0x400d1e42", "esp_vApplicationIdleHook", 26, `${IDF}/esp_system/freertos_hooks.c`, 59),
			],
		},
	],
	signature: "7f3e9c2a",
	decoded_at: "2026-10-01T12:03:05.000Z",
};
