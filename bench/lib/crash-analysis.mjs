// Crash analysis (SPEC §10), scenario `crash`: the three real dumps of ../shared/coredumps posted
// by devices of models whose bundles carry an ELF the decode tests build from the same facts
// (symbols, sections, CFI, lines), so every dump decodes with names, as it would against its
// real ELF. The esp32c3 ELF is grown to a realistic 19 MiB (bench/elf-synthetic.ts, paddedElf).
//
// - First dump of the realistic ELF: from the device's POST to `analysis.status` decoded (the
//   queue consumer builds the ELF's index at first need, then decodes), with the isolate's heap
//   peak and the runtime's CPU; against the baseline Worker reading the same ELF once from R2,
//   the floor of any index build.
// - Warm re-analysis (POST …/analyze) of each dump, index already open; against Node decoding
//   the same dump in-process with the same code and an index built from the same ELF.
// - The index builder in Node (bench/lib/index-build.mjs) on the same 19 MiB ELF and on a
//   synthetic 256 MiB ELF, against reading that ELF once by the same ranges.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crashCode, rawDump, SHARED_COREDUMPS } from "./crash-code.mjs";
import { buildBundle, sha256Hex } from "./firmware.mjs";
import { cached } from "./fixtures.mjs";
import { measureInChild } from "./index-build.mjs";
import { isolateHeapWhile } from "./inspector.mjs";
import { median } from "./load.mjs";
import { treeSchedCpuMs } from "./proc.mjs";
import { Api, adminToken, curlPut, curlUpload, timedGet } from "./product.mjs";
import { addCrashRows } from "./rows.mjs";
import { sleep } from "./servers.mjs";
import { must, restartProduct } from "./setup.mjs";

const MiB = 1024 * 1024;
const VERSION = "7.0.0";
/** The chips of the real dumps; the esp32c3 ELF is the realistic one. */
const CHIPS = [
	{ chip: "esp32", chipId: 0, elfMiB: null },
	{ chip: "esp32c3", chipId: 5, elfMiB: 20 },
	{ chip: "esp32c6", chipId: 13, elfMiB: null },
];
const NEAR_LIMIT_MIB = 256;

export async function crashAnalysis(ctx) {
	const cases = await crashFixtures(ctx);
	ctx.log("restarting ota-edge for a fresh isolate");
	await restartProduct(ctx);
	const { servers } = ctx;
	const api = new Api(servers.product.url, await adminToken());
	for (const c of cases) {
		await api.createModel(c.model, `Crash analysis, ${c.chip}`);
		c.device = await api.createDevice(c.model);
		const up = await curlUpload(
			`${servers.product.url}/api/pipeline/models/${c.model}/firmware`,
			c.bundle.file,
			ctx.data.ci,
		);
		must(up.status === 200, `the ${c.chip} crash bundle upload answered ${up.status}: ${up.body}`);
	}
	await quietQueue(ctx, api);
	const realistic = cases.find((c) => c.elfMiB);
	const elfUrl = `${servers.baseline.url}/object/crash/${realistic.elf.sha256}.elf`;
	const put = await curlPut(elfUrl, realistic.elf.file);
	must(put.status === 201, `the baseline's ELF put answered ${put.status}`);

	const label = `${realistic.chip}, ${(realistic.elf.size / MiB).toFixed(1)} MiB ELF`;
	ctx.log(`first dump of the realistic ELF (${label}): index build + decode, through the queue`);
	const first = await measured(servers.product, () => postAndWait(ctx, api, realistic));
	const analysis = first.result.analysis;
	ctx.log(
		`  ${analysis.status} (${analysis.matched_by}) in ${first.seconds.toFixed(2)} s; isolate heap ${first.heap.beforeMiB.toFixed(1)} → peak ${first.heap.peakMiB.toFixed(1)} MiB; server CPU ${first.cpuMs.toFixed(0)} ms (${roles(first.byRole)})`,
	);
	const floor = await measured(servers.baseline, async () => {
		const got = await timedGet(elfUrl);
		must(got.status === 200 && sha256Hex(got.body) === realistic.elf.sha256, "baseline ELF GET");
		return got;
	});
	ctx.log(
		`  baseline: the ELF read once in ${floor.seconds.toFixed(2)} s; heap peak ${floor.heap.peakMiB.toFixed(1)} MiB; server CPU ${floor.cpuMs.toFixed(0)} ms (${roles(floor.byRole)})`,
	);
	for (const c of cases.filter((x) => x !== realistic)) {
		const other = await postAndWait(ctx, api, c);
		ctx.log(`  first dump of ${c.chip}: ${other.analysis.status} in ${other.seconds.toFixed(2)} s`);
	}

	const lib = await crashCode();
	const rounds = ctx.short.seconds >= 6 ? 4 : 2;
	const warm = [];
	for (const c of cases) {
		ctx.log(`warm re-analysis of the ${c.chip} dump, ${rounds} times, and Node decoding it`);
		const worker = await warmReanalyses(ctx, api, c, rounds);
		const node = await nodeDecode(lib, c, rounds * 20);
		const same = sameFrames(worker.analysis, node.analysis);
		if (!same) ctx.results.notes.push(`The ${c.chip} analysis differs between ota-edge and Node.`);
		ctx.log(
			`  ota-edge: server ${worker.serverMs.toFixed(1)} ms CPU (runtime ${worker.runtimeMs.toFixed(1)} ms), ${worker.wallMs.toFixed(0)} ms to analysed; Node decode ${node.cpuMs.toFixed(2)} ms CPU${same ? "" : " (analyses DIFFER)"}`,
		);
		warm.push({ chip: c.chip, tasks: worker.analysis.tasks.length, worker, node });
	}

	ctx.log(`index builder in Node: the ${label} and a synthetic ${NEAR_LIMIT_MIB} MiB ELF`);
	const inNode = {};
	for (const [name, elf] of [
		["realistic", { file: realistic.elf.file }],
		["near", { syntheticMiB: NEAR_LIMIT_MIB }],
	]) {
		inNode[name] = {
			build: await measureInChild(elf, "build"),
			read: await measureInChild(elf, "read"),
		};
		const b = inNode[name].build;
		ctx.log(
			`  ${name}: ${(b.elfBytes / MiB).toFixed(0)} MiB ELF, built in ${(b.buildMs / 1000).toFixed(2)} s (read once: ${(inNode[name].read.buildMs / 1000).toFixed(2)} s), index ${(b.indexBytes / MiB).toFixed(1)} MiB, peak ${(b.peakBytes / MiB).toFixed(1)} MiB`,
		);
	}
	addCrashRows(ctx.results, { label, first, floor, warm, inNode, nearMiB: NEAR_LIMIT_MIB });
}

const roles = (byRole) =>
	Object.entries(byRole)
		.map(([role, ms]) => `${role} ${ms.toFixed(0)}`)
		.join(", ");

/** The ELFs and bundles, made once and kept in bench/out/fixtures. */
async function crashFixtures(ctx) {
	ctx.log("crash analysis fixtures: ELFs from ../shared/coredumps facts, bundles");
	const lib = await crashCode();
	return CHIPS.map(({ chip, chipId, elfMiB }) => {
		const elf = cached("crash-elf", { chip, elfMiB }, () => {
			const base = lib.buildChipFixtureElf(chip);
			const bytes = elfMiB ? lib.paddedElf(base, elfMiB * MiB) : base;
			return { bytes, sha256: sha256Hex(bytes) };
		});
		const made = cached("crash-bundle", { chip, elf: elf.sha256, VERSION }, () => {
			const { zip } = buildBundle({
				code: `bench_crash_${chip}`,
				version: VERSION,
				imageSize: MiB,
				mapSize: 256 * 1024,
				seed: 70 + chipId,
				elf: readFileSync(elf.file),
				chipId,
				target: chip,
			});
			return { bytes: zip };
		});
		const dump = rawDump(readFileSync(join(SHARED_COREDUMPS, chip, "coredump.b64"), "utf8"));
		return { chip, elfMiB, model: `bench_crash_${chip}`, elf, bundle: made, dump };
	});
}

/**
 * `work()` timed, with the isolate's heap and the server process tree's CPU around it (in total
 * and in the runtime: the workerd running the Worker and the local D1/R2).
 */
async function measured(server, work) {
	const before = treeSchedCpuMs(server.pid);
	const started = performance.now();
	const heap = await isolateHeapWhile(server.inspectorPort, work, { everyMs: 100 });
	const after = treeSchedCpuMs(server.pid);
	return {
		result: heap.result,
		heap,
		seconds: (performance.now() - started) / 1000,
		cpuMs: after.total - before.total,
		runtimeMs: after.byRole.runtime - before.byRole.runtime,
		byRole: Object.fromEntries(
			Object.entries(after.byRole).map(([role, ms]) => [role, ms - before.byRole[role]]),
		),
	};
}

/**
 * Waits until no dump of the core dump load runs (scenario `coredumps`) is still waiting for
 * its analysis, so that the first dump measured here does not queue behind them.
 */
async function quietQueue(ctx, api) {
	const started = Date.now();
	const pending = async () => {
		for (const device of ctx.data.crashers) {
			const { coredumps } = await api.json("GET", `/api/devices/${device.key}/coredumps`);
			if (coredumps.some((d) => d.status === "pending")) return true;
		}
		return false;
	};
	while (await pending()) {
		if (Date.now() - started > 120_000) {
			ctx.results.notes.push("Crash analysis: earlier dumps were still pending after 120 s.");
			return;
		}
		await sleep(1000);
	}
	const waited = (Date.now() - started) / 1000;
	if (waited > 2) ctx.log(`  waited ${waited.toFixed(0)} s for earlier dumps' analyses`);
}

/** A device posts its dump; resolves when the dump's analysis is stored. */
async function postAndWait(ctx, api, c) {
	const started = performance.now();
	const res = await fetch(
		`${ctx.servers.product.url}/api/iot/coredump?chip=${c.chip}&firmware_version=${VERSION}`,
		{ method: "POST", headers: { authorization: `Bearer ${c.device.token}` }, body: c.dump },
	);
	const body = await res.json();
	must(res.status === 201, `the ${c.chip} dump upload answered ${res.status}`);
	c.dumpId = body.id;
	const done = await waitAnalysed(api, c, null);
	return { ...done, seconds: (performance.now() - started) / 1000 };
}

/** Polls the dump every `every` ms until an analysis newer than `previous` is stored. */
async function waitAnalysed(api, c, previous, every = 200) {
	const deadline = Date.now() + 300_000;
	let polls = 0;
	while (Date.now() < deadline) {
		const detail = await api.json("GET", `/api/devices/${c.device.key}/coredumps/${c.dumpId}`);
		polls++;
		const a = detail.analysis;
		if (a.status !== "pending" && a.decoded_at !== previous) {
			must(a.status === "decoded", `the ${c.chip} dump was analysed ${a.status} (${a.error_code})`);
			return { analysis: a, polls };
		}
		await sleep(every);
	}
	throw new Error(`the ${c.chip} dump was not analysed within 300 s`);
}

/**
 * `rounds` re-analyses in turn, each waited for, with the server tree's CPU around them; then
 * the same number of polls alone, at the same pace (the control), whose CPU is taken off.
 */
async function warmReanalyses(ctx, api, c, rounds) {
	const { product } = ctx.servers;
	let { analysis } = await waitAnalysed(api, c, null);
	const walls = [];
	let polls = 0;
	const cpu0 = treeSchedCpuMs(product.pid);
	for (let i = 0; i < rounds; i++) {
		const started = performance.now();
		await api.json("POST", `/api/devices/${c.device.key}/coredumps/${c.dumpId}/analyze`);
		const done = await waitAnalysed(api, c, analysis.decoded_at);
		walls.push(performance.now() - started);
		polls += done.polls;
		analysis = done.analysis;
	}
	const cpu1 = treeSchedCpuMs(product.pid);
	for (let i = 0; i < polls; i++) {
		await api.json("GET", `/api/devices/${c.device.key}/coredumps/${c.dumpId}`);
		await sleep(200);
	}
	const cpu2 = treeSchedCpuMs(product.pid);
	const perAnalysis = (pick) => (pick(cpu1) - pick(cpu0) - (pick(cpu2) - pick(cpu1))) / rounds;
	return {
		analysis,
		serverMs: perAnalysis((x) => x.total),
		runtimeMs: perAnalysis((x) => x.byRole.runtime),
		wallMs: median(walls),
	};
}

/** Node decoding the dump `runs` times with an index built from the same ELF: median CPU ms. */
async function nodeDecode(lib, c, runs) {
	const index = await lib.buildElfIndex(lib.memorySource(new Uint8Array(readFileSync(c.elf.file))));
	const symbolizer = await lib.openElfIndex(lib.memorySource(index));
	const resolve = async () => ({
		symbolizer,
		matchedBy: "firmware_version",
		firmwareVersion: VERSION,
	});
	const now = new Date();
	const times = [];
	let analysis;
	for (let i = 0; i <= runs; i++) {
		const before = process.cpuUsage();
		analysis = await lib.analyzeCoredump(c.dump, VERSION, resolve, now);
		const used = process.cpuUsage(before);
		if (i > 0) times.push((used.user + used.system) / 1000);
	}
	return { cpuMs: median(times), analysis };
}

/** The same crashed task and, for every task, the same frames (PC, function, file:line). */
function sameFrames(a, b) {
	const frames = (x) => JSON.stringify([x.crashed_task, x.tasks.map((t) => [t.name, t.backtrace])]);
	return frames(a) === frames(b);
}
