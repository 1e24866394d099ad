// Measures the ELF index (SPEC §10) outside the Worker: build time, index size and peak memory,
// for a firmware ELF on disk and for a synthetic ELF near the 256 MiB limit that exists only as
// a recipe (never in memory: its padding is generated per read, bench/elf-synthetic.ts). Each
// case runs in its own process, with the ELF read by ranges as R2 would serve it
// (bench/lib/index-build.mjs, which `npm run bench -- --only=crash` uses too).
//
//   node bench/elf-index.mjs [--elf=path/to/app.elf] [--size=256]
//
// Without --elf only the synthetic ELF is measured. "Peak" is the most JS heap + ArrayBuffer
// memory held during the build above what was held before it (sampled between reads, garbage
// included); "peak reachable" the most still reachable after a forced GC (sampled less often);
// lookups are the mean time of functionAt, lineAt, unwindAt and followsCall at 2000 addresses.
import { measureInChild } from "./lib/index-build.mjs";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const cases = [];
if (args.elf) cases.push(["file", { file: args.elf }]);
cases.push(["synthetic", { syntheticMiB: Number(args.size ?? 256) }]);
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
for (const [kind, elf] of cases) {
	const r = await measureInChild(elf);
	console.log(
		[
			`${kind}: ${r.elf}`,
			`  ELF ${mib(r.elfBytes)}, read ${mib(r.bytesRead)} in ${r.reads} ranged reads`,
			`  build ${(r.buildMs / 1000).toFixed(2)} s, index ${mib(r.indexBytes)}`,
			`  memory above baseline: peak ${mib(r.peakBytes)} (heap + buffers, garbage included), peak reachable ${mib(r.liveBytes)}; process max RSS ${mib(r.maxRssBytes)}`,
			`  lookup (4 questions) ${r.lookupMicros.toFixed(0)} µs`,
		].join("\n"),
	);
}
