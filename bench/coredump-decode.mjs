// `node bench/coredump-decode.mjs [runs]`: CPU time of decoding the real core dumps of
// ../shared/coredumps with src/lib/coredump (the queue consumer's work per dump, without
// storage), cold and warm, with the ELF's facts as symbolizer and without an ELF. Bundles the
// TypeScript with esbuild into bench/out first.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shared = join(root, "..", "shared", "coredumps");
const out = join(root, "bench", "out", "coredump-decode.mjs");
mkdirSync(dirname(out), { recursive: true });
await build({
	stdin: {
		contents: `export { analyzeCoredump } from "./src/lib/coredump/analyze";
export { factsSymbolizer } from "./test/helpers/coredump/facts-symbolizer";`,
		resolveDir: root,
		loader: "ts",
	},
	bundle: true,
	platform: "node",
	format: "esm",
	outfile: out,
	logLevel: "warning",
});
const { analyzeCoredump, factsSymbolizer } = await import(pathToFileURL(out).href);

const runs = Number(process.argv[2] ?? 200);
const now = new Date();
const cpuMs = () => {
	const { user, system } = process.cpuUsage();
	return (user + system) / 1000;
};
console.log("dump      ELF     cold ms  warm ms (median of %d)", runs);
for (const chip of ["esp32", "esp32c3", "esp32c6"]) {
	const read = (name) => readFileSync(join(shared, chip, name));
	const dump = new Uint8Array(read("coredump.b64"));
	const symbolizer = factsSymbolizer({
		symbols: read("symbols.txt").toString(),
		sections: read("sections.txt").toString(),
		cfi: read("cfi.txt").toString(),
	});
	for (const named of [true, false]) {
		const resolve = async () =>
			named ? { symbolizer, matchedBy: "elf_sha256", firmwareVersion: "v1" } : null;
		const times = [];
		for (let i = 0; i <= runs; i++) {
			const start = cpuMs();
			await analyzeCoredump(dump, "v1", resolve, now);
			times.push(cpuMs() - start);
		}
		const cold = times.shift();
		times.sort((a, b) => a - b);
		const median = times[times.length >> 1];
		console.log(
			`${chip.padEnd(9)} ${(named ? "facts" : "none").padEnd(7)} ${cold.toFixed(2).padStart(7)}  ${median.toFixed(3).padStart(7)}`,
		);
	}
}
