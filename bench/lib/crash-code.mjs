// The TypeScript the crash analysis benches run in Node (bench/crash-entry.ts), bundled with
// esbuild into bench/out once per process. The test fixtures read ../shared/coredumps through
// Vite's import.meta.glob; here the same files are read from disk.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const SHARED_COREDUMPS = join(ROOT, "..", "shared", "coredumps");
const OUTFILE = join(ROOT, "bench", "out", "crash-code.mjs");

const factsFromDisk = {
	name: "coredump-facts-from-disk",
	setup(b) {
		b.onLoad({ filter: /test\/fixtures\/elf\/coredump-facts\.ts$/ }, () => ({
			loader: "ts",
			contents: `import { readFileSync } from "node:fs";
export const CHIPS = ["esp32", "esp32c3", "esp32c6"] as const;
export type Chip = (typeof CHIPS)[number];
export function coredumpFact(chip: Chip, file: string): string {
	return readFileSync(${JSON.stringify(SHARED_COREDUMPS)} + "/" + chip + "/" + file, "utf8");
}`,
		}));
	},
};

let loaded;

/** The bundled module (built on the first call of a process). */
export function crashCode() {
	loaded ??= (async () => {
		mkdirSync(dirname(OUTFILE), { recursive: true });
		await build({
			entryPoints: [join(ROOT, "bench", "crash-entry.ts")],
			bundle: true,
			platform: "node",
			format: "esm",
			outfile: OUTFILE,
			logLevel: "warning",
			plugins: [factsFromDisk],
		});
		return import(pathToFileURL(OUTFILE).href);
	})();
	return loaded;
}

/** The raw image of a real dump: its UART base64 lines decoded one by one. */
export function rawDump(uartText) {
	const parts = uartText
		.split("\n")
		.map((line) => line.trim())
		.filter(Boolean)
		.map((line) => Buffer.from(line, "base64"));
	return new Uint8Array(Buffer.concat(parts));
}
