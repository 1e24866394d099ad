/*
 * A real crash for the console to show: the ESP32 core dump of /work/shared/coredumps/esp32
 * (the device's `abort()` from `fail_once`, read as the device uploads it), and an app ELF
 * built here from that folder's facts — the FUNC symbols of `symbols.txt`, the executable
 * sections of `sections.txt` (zero-filled), and a `.debug_line` that gives the frames gdb
 * printed their `file:line`. The dump names another ELF's hash, so the decoder matches this one
 * by the firmware version the device sends (SPEC §10).
 */
import { fs, nodeProcess } from "../node-builtins";
import { type CodeSection, debugLine, type ElfSymbol, writeElf } from "./elf-writer";

const ROOT = new URL("../../..", (import.meta as ImportMeta & { url: string }).url).pathname;

/** Where the shared sample dumps are: OTA_COREDUMP_SAMPLES, else a `shared/` beside the checkout. */
export function samplesDir(): string {
	const candidates = [
		nodeProcess.env.OTA_COREDUMP_SAMPLES,
		`${ROOT}../shared/coredumps`,
		`${ROOT}../../shared/coredumps`,
	].filter((d): d is string => !!d);
	const found = candidates.find((d) => fs.existsSync(`${d}/esp32/coredump.b64`));
	if (!found) {
		throw new Error(`no sample core dumps in ${candidates.join(" or ")}: set OTA_COREDUMP_SAMPLES`);
	}
	return `${found}/esp32`;
}

const text = (path: string) => new TextDecoder().decode(fs.readFileSync(path));

/** The raw core dump image, as the device reads it from its partition and uploads it. */
export function esp32Dump(dir = samplesDir()): Uint8Array {
	// Each UART line is base64 of its own (padded), as the device printed it.
	const lines = text(`${dir}/coredump.b64`).split(/\s+/).filter(Boolean);
	return Uint8Array.from(lines.map((line) => atob(line)).join(""), (c) => c.charCodeAt(0));
}

/** Where gdb placed each frame of the crashed task (expected_output, CURRENT THREAD STACK). */
export const FRAME_LINES: Record<string, [string, number]> = {
	panic_abort: ["/builds/espressif/esp-idf/components/esp_system/panic.c", 472],
	esp_system_abort: ["/builds/espressif/esp-idf/components/esp_system/port/esp_system_chip.c", 93],
	abort: ["/builds/espressif/esp-idf/components/newlib/abort.c", 38],
	fail_once: ["/Users/erhan/dev/esp-coredump/tests/test_apps/main/test_core_dump.c", 14],
	app_main: ["/Users/erhan/dev/esp-coredump/tests/test_apps/main/test_core_dump.c", 20],
	main_task: ["/builds/espressif/esp-idf/components/freertos/app_startup.c", 208],
	vPortTaskWrapper: [
		"/builds/espressif/esp-idf/components/freertos/FreeRTOS-Kernel/portable/xtensa/port.c",
		134,
	],
};

export function esp32Elf(dir = samplesDir()): Uint8Array {
	const symbols: ElfSymbol[] = [];
	for (const line of text(`${dir}/symbols.txt`).split("\n")) {
		const m = /^\s*\d+:\s+([0-9a-f]{8})\s+(\d+)\s+FUNC\s+(\w+)\s+\S+\s+\d+\s+(\S+)\s*$/.exec(line);
		if (m?.[1] && m[2] && m[3] && m[4]) {
			symbols.push({
				value: Number.parseInt(m[1], 16),
				size: Number(m[2]),
				global: m[3] !== "LOCAL",
				name: m[4],
			});
		}
	}
	const sections: CodeSection[] = [];
	for (const line of text(`${dir}/sections.txt`).split("\n")) {
		const m =
			/\]\s+(\S+)\s+PROGBITS\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+(\w*X\w*)\s/.exec(
				line,
			);
		if (m?.[1] && m[2] && m[3]) {
			sections.push({
				name: m[1],
				addr: Number.parseInt(m[2], 16),
				size: Number.parseInt(m[3], 16),
			});
		}
	}
	return writeElf(sections, symbols, debugLine(symbols, FRAME_LINES));
}
