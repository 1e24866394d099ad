import esp32Cfi from "../../../../shared/coredumps/esp32/cfi.txt?raw";
import esp32Dump from "../../../../shared/coredumps/esp32/coredump.b64?raw";
import esp32Expected from "../../../../shared/coredumps/esp32/expected_output?raw";
import esp32Sections from "../../../../shared/coredumps/esp32/sections.txt?raw";
import esp32Symbols from "../../../../shared/coredumps/esp32/symbols.txt?raw";
import esp32c3Cfi from "../../../../shared/coredumps/esp32c3/cfi.txt?raw";
import esp32c3Dump from "../../../../shared/coredumps/esp32c3/coredump.b64?raw";
import esp32c3Expected from "../../../../shared/coredumps/esp32c3/expected_output?raw";
import esp32c3Sections from "../../../../shared/coredumps/esp32c3/sections.txt?raw";
import esp32c3Symbols from "../../../../shared/coredumps/esp32c3/symbols.txt?raw";
import esp32c6Cfi from "../../../../shared/coredumps/esp32c6/cfi.txt?raw";
import esp32c6Dump from "../../../../shared/coredumps/esp32c6/coredump.b64?raw";
import esp32c6Expected from "../../../../shared/coredumps/esp32c6/expected_output?raw";
import esp32c6Sections from "../../../../shared/coredumps/esp32c6/sections.txt?raw";
import esp32c6Symbols from "../../../../shared/coredumps/esp32c6/symbols.txt?raw";
import type { ElfFacts } from "./facts-symbolizer";

/**
 * The real core dumps kept in shared/coredumps (beside the repository: `<repo>/../shared`, a
 * symlink in a worktree), read as text at build time so the tests run the same in workerd
 * locally and in CI.
 */
export interface RealDump {
	chip: "esp32" | "esp32c3" | "esp32c6";
	/** The UART text as the device printed it. */
	uart: string;
	/** esp-coredump's `info_corefile` output for it. */
	expected: string;
	facts: ElfFacts;
}

export const REAL_DUMPS: readonly RealDump[] = [
	{
		chip: "esp32",
		uart: esp32Dump,
		expected: esp32Expected,
		facts: { symbols: esp32Symbols, sections: esp32Sections, cfi: esp32Cfi },
	},
	{
		chip: "esp32c3",
		uart: esp32c3Dump,
		expected: esp32c3Expected,
		facts: { symbols: esp32c3Symbols, sections: esp32c3Sections, cfi: esp32c3Cfi },
	},
	{
		chip: "esp32c6",
		uart: esp32c6Dump,
		expected: esp32c6Expected,
		facts: { symbols: esp32c6Symbols, sections: esp32c6Sections, cfi: esp32c6Cfi },
	},
];

export function realDump(chip: RealDump["chip"]): RealDump {
	const found = REAL_DUMPS.find((d) => d.chip === chip);
	if (!found) throw new Error(`no real dump for ${chip}`);
	return found;
}

/** The raw partition image: the UART lines decoded one by one (each is padded on its own). */
export function rawImage(dump: RealDump): Uint8Array {
	const parts = dump.uart
		.split("\n")
		.map((line) => line.trim())
		.filter(Boolean)
		.map((line) => Uint8Array.from(atob(line), (c) => c.charCodeAt(0)));
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}
