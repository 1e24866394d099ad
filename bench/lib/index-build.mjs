// The ELF index builder (src/lib/elf-index) run in Node, one case per child process so that its
// memory is its own: build time, index size and peak memory for an ELF read by ranges as R2
// would serve it, and the floor of any build: the same ELF read once, whole, by the same ranges.
// An ELF is a file on disk, or the synthetic ELF of bench/elf-synthetic.ts near the 256 MiB
// limit, which exists only as a recipe (never in memory: its padding is generated per read).
//
// "Peak" is the most JS heap + ArrayBuffer memory held during the work above what was held
// before it (sampled between reads, garbage included); "peak reachable" the most still reachable
// after a forced GC (sampled less often); lookups are the mean time of functionAt, lineAt,
// unwindAt and followsCall at 2000 addresses.
import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { crashCode } from "./crash-code.mjs";

const CHUNK = 1024 * 1024;
const SELF = fileURLToPath(import.meta.url);

/**
 * One case in a child process: `elf` is `{ file }` or `{ syntheticMiB }`; `work` is "build"
 * (the index) or "read" (the whole ELF once, the floor). Resolves with the child's figures.
 */
export async function measureInChild(elf, work = "build") {
	await crashCode(); // the child imports what this built
	const args = ["--expose-gc", SELF, `--work=${work}`];
	args.push(elf.file ? `--file=${elf.file}` : `--synthetic=${elf.syntheticMiB}`);
	const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", (d) => {
		stdout += d;
	});
	child.stderr.on("data", (d) => {
		stderr += d;
	});
	const code = await new Promise((resolve) => child.on("exit", resolve));
	if (code !== 0) throw new Error(`index build child failed (${code}):\n${stderr}`);
	return JSON.parse(stdout);
}

if (process.argv[1] === SELF) {
	const args = Object.fromEntries(
		process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")),
	);
	const lib = await crashCode();
	const result = await runCase(lib, args);
	process.stdout.write(JSON.stringify(result));
	process.exit(0);
}

async function runCase(lib, args) {
	const base = args.file
		? await fileSource(args.file)
		: lib.syntheticElf({ totalBytes: Number(args.synthetic) * 1024 * 1024, functions: 65536 });
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
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	let index = null;
	if (args.work === "read") {
		for (let at = 0; at < source.size; at += CHUNK) {
			await source.read(at, Math.min(CHUNK, source.size - at));
		}
	} else {
		index = await lib.buildElfIndex(source);
	}
	const ms = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);
	clearInterval(sampler);
	peak = Math.max(peak, held());
	globalThis.gc();
	live = Math.max(live, held());
	return {
		elf: base.description ?? args.file,
		elfBytes: base.size,
		buildMs: ms,
		cpuMs: (cpu.user + cpu.system) / 1000,
		indexBytes: index?.length ?? 0,
		peakBytes: peak - before,
		liveBytes: live - before,
		maxRssBytes: process.resourceUsage().maxRSS * 1024,
		reads,
		bytesRead,
		lookupMicros: index ? await lookups(lib, index) : null,
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
