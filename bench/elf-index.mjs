// Measures the ELF index (SPEC §10): build time, index size and peak memory, for a firmware ELF
// on disk and for a synthetic ELF near the 256 MiB limit that exists only as a recipe (never in
// memory: its padding is generated per read, bench/elf-synthetic.ts). Each case runs in its own
// process, with the ELF read by ranges as R2 would serve it.
//
//   node bench/elf-index.mjs [--elf=path/to/app.elf] [--size=256]
//
// Without --elf only the synthetic ELF is measured. "Peak" is the most JS heap + ArrayBuffer
// memory held during the build above what was held before it (sampled between reads, garbage
// included); "peak reachable" the most still reachable after a forced GC (sampled less often);
// lookups are the mean time of functionAt, lineAt, unwindAt and followsCall at 2000 addresses.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, "out", "elf-index.bundle.mjs");
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));

if (args.child) {
	const result = await runCase(await import(pathToFileURL(bundle).href), args.child, args.arg);
	process.stdout.write(JSON.stringify(result));
	process.exit(0);
}

const { build } = await import("esbuild");
mkdirSync(dirname(bundle), { recursive: true });
await build({
	entryPoints: [join(here, "elf-index-entry.ts")],
	bundle: true,
	platform: "node",
	format: "esm",
	outfile: bundle,
	logLevel: "warning",
});

const cases = [];
if (args.elf) cases.push(["file", args.elf]);
cases.push(["synthetic", args.size ?? "256"]);
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
for (const [kind, arg] of cases) {
	const child = spawnSync(
		process.execPath,
		["--expose-gc", fileURLToPath(import.meta.url), `--child=${kind}`, `--arg=${arg}`],
		{ encoding: "utf8", maxBuffer: 1 << 24 },
	);
	if (child.status !== 0) {
		console.error(child.stderr);
		process.exit(1);
	}
	const r = JSON.parse(child.stdout);
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

async function runCase(lib, kind, arg) {
	const base =
		kind === "file"
			? await fileSource(arg)
			: lib.syntheticElf({ totalBytes: Number(arg) * 1024 * 1024, functions: 65536 });
	let reads = 0;
	let bytesRead = 0;
	const source = {
		size: base.size,
		async read(offset, length) {
			reads++;
			bytesRead += length;
			// Let the sampler run between reads, as it would between R2 calls.
			await new Promise((resolve) => setImmediate(resolve));
			return base.read(offset, length);
		},
		stream: (offset, length) => base.stream(offset, length),
	};
	globalThis.gc?.();
	const held = () => {
		const m = process.memoryUsage();
		return m.heapUsed + m.arrayBuffers;
	};
	const before = held();
	let peak = before;
	let live = before;
	let ticks = 0;
	const sampler = setInterval(() => {
		peak = Math.max(peak, held());
		// Every 5th sample, what is still reachable: garbage left for later is not held.
		if (++ticks % 5 === 0) {
			globalThis.gc();
			live = Math.max(live, held());
		}
	}, 2);
	const started = performance.now();
	const index = await lib.buildElfIndex(source);
	const buildMs = performance.now() - started;
	clearInterval(sampler);
	peak = Math.max(peak, held());
	globalThis.gc();
	live = Math.max(live, held());
	return {
		elf: base.description ?? arg,
		elfBytes: base.size,
		buildMs,
		indexBytes: index.length,
		peakBytes: peak - before,
		liveBytes: live - before,
		maxRssBytes: process.resourceUsage().maxRSS * 1024,
		reads,
		bytesRead,
		lookupMicros: await lookups(lib, index),
	};
}

async function lookups(lib, index) {
	const symbolizer = await lib.openElfIndex(lib.memorySource(index));
	const addresses = Array.from(
		{ length: 2000 },
		(_, i) => 0x40000000 + ((i * 2654435761) % 0x4000000),
	);
	const started = performance.now();
	for (const address of addresses) {
		await symbolizer.functionAt(address);
		await symbolizer.lineAt(address);
		await symbolizer.unwindAt(address);
		await symbolizer.followsCall(address);
	}
	return ((performance.now() - started) * 1000) / addresses.length;
}

/** A ByteSource over a file, read by ranges: the ELF is never in memory whole. */
async function fileSource(path) {
	const handle = await open(path, "r");
	const { size } = await handle.stat();
	return {
		size,
		async read(offset, length) {
			const bytes = new Uint8Array(length);
			await handle.read(bytes, 0, length, offset);
			return bytes;
		},
		async stream() {
			throw new Error("not used by the index builder");
		},
	};
}
