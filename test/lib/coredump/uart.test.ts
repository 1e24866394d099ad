import { describe, expect, it } from "vitest";
import { analyzeCoredump } from "../../../src/lib/coredump/analyze";
import { ascii, concat } from "../../fixtures/coredump/bytes";
import { toUartText } from "../../fixtures/coredump/uart";
import { rawImage, realDump } from "../../helpers/coredump/real-dumps";

const NOW = new Date("2025-01-02T03:04:05Z");
const image = rawImage(realDump("esp32c3"));

async function tasksOf(bytes: Uint8Array) {
	const a = await analyzeCoredump(bytes, "v1", async () => null, NOW);
	expect([a.status, a.error_code]).toEqual(["unsymbolized", null]);
	return a.tasks;
}

const LOG_BEFORE = [
	"I (1234) esp_core_dump_uart: Press Enter to print core dump to UART...",
	"\u001b[0;32mI (1240) esp_core_dump_uart: Print core dump to uart...\u001b[0m",
	"Guru Meditation Error: Core  0 panic'ed (Store access fault). Exception was unhandled.",
];
// After the END banner ESP-IDF prints the checksum; a log line may well look like base64.
const LOG_AFTER = [
	"I (2000) esp_core_dump_uart: Core dump has been written to uart.",
	"Coredump checksum: 9c3ef4c7",
	"ELF file SHA256: 7d946a8e8abcdef0",
	"Rebooting...",
];

describe("the UART text form", () => {
	it("decodes as the device printed it", async () => {
		const expected = await tasksOf(image);
		expect(await tasksOf(new TextEncoder().encode(realDump("esp32c3").uart))).toEqual(expected);
	});

	it.each([
		[
			"with banners and the log around them",
			{ banners: true, before: LOG_BEFORE, after: LOG_AFTER },
		],
		[
			"with banners, CRLF line ends",
			{ banners: true, crlf: true, before: LOG_BEFORE, after: LOG_AFTER },
		],
		[
			"with a timestamp before every line",
			{ banners: true, prefix: "[12:00:01.123] ", after: LOG_AFTER },
		],
		["without banners, just the lines", {}],
		[
			"without banners, CRLF, between log lines",
			{ crlf: true, before: LOG_BEFORE, after: LOG_AFTER },
		],
		["without banners, each line prefixed", { prefix: "dev42 | ", before: ["dev42 | booting"] }],
	] as const)("%s", async (_, spec) => {
		expect(await tasksOf(toUartText(image, spec))).toEqual(await tasksOf(image));
	});

	it("takes the first dump when a capture holds the START banner twice", async () => {
		const text = concat(
			toUartText(image, { banners: true }),
			toUartText(image.subarray(0, 100), { banners: true }),
		);
		expect(await tasksOf(text)).toEqual(await tasksOf(image));
	});

	it("ignores blank lines between the banners", async () => {
		const lines = new TextDecoder().decode(toUartText(image, { banners: true })).split("\n");
		lines.splice(5, 0, "", "   ");
		expect(await tasksOf(ascii(lines.join("\n")))).toEqual(await tasksOf(image));
	});
});
