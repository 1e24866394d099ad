// A bounded, mixed load run against a local ota-edge:
//
//   node bench/load.mjs [--seconds 60] [--connections 8] [--devices 32] [--max-rss-mib 1536]
//
// It starts its own `wrangler dev` (bench/load-worker.mjs: fresh local D1/R2 under
// bench/out/load/state, the local identity of scripts/local-identity.mjs), creates a model with
// devices and a first release, then for --seconds runs device connections doing downloads,
// 64 KiB range requests, revalidations, HEADs, version checks and core dumps, beside one CI job
// uploading new, repeated and replacing releases (bench/load-traffic.mjs). Everything goes to
// 127.0.0.1. Afterwards every stored version and core dump is downloaded and compared with what
// was sent (bench/load-verify.mjs).
//
// It prints requests by kind, status counts, p50/p99 and the memory taken, writes
// bench/out/load/report.json, and exits non-zero on any 5xx, network error, wrong answer, lost
// version or core dump, or memory over its bounds:
// - the Worker's isolate heap (V8 + ArrayBuffers, over DevTools) above 128 MiB, the platform's
//   per-isolate limit, or still holding more than 16 MiB more after a full GC once the load is
//   over (a leak);
// - the RSS of the runtime workerd above --max-rss-mib. That process also runs the local D1/R2
//   simulators, and workerd keeps memory it has used (the proxy workerd, which runs none of our
//   code, grows with traffic too): this bound only catches runaway growth.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { signLocalToken } from "../scripts/local-identity.mjs";
import { isolateHeap, isolateInspector, rssKiB, workerdProcesses } from "./load-proc.mjs";
import { mib, printReport, problemsOf, summarize, writeReport } from "./load-report.mjs";
import {
	client,
	createFleet,
	deviceLane,
	deviceRequests,
	MIX,
	Pipeline,
	Tally,
} from "./load-traffic.mjs";
import { verify } from "./load-verify.mjs";
import { OUT, ROOT, startWorker, wranglerLog } from "./load-worker.mjs";

const ISOLATE_LIMIT_MIB = 128;
const LIVE_GROWTH_MIB = 16;

// Wrangler needs Node 22; the project's `node` devDependency provides it.
const LOCAL_NODE = `${ROOT}node_modules/node/bin/node`;
if (Number(process.versions.node.split(".")[0]) < 22 && existsSync(LOCAL_NODE)) {
	process.exit(spawnSync(LOCAL_NODE, process.argv.slice(1), { stdio: "inherit" }).status ?? 1);
}

const { values } = parseArgs({
	options: {
		seconds: { type: "string", default: "60" },
		connections: { type: "string", default: "8" },
		devices: { type: "string", default: "32" },
		"max-rss-mib": { type: "string", default: "1536" },
	},
});
const options = {
	seconds: Number(values.seconds),
	connections: Number(values.connections),
	devices: Number(values.devices),
	maxRssMib: Number(values["max-rss-mib"]),
};
for (const [name, value] of Object.entries(options)) {
	if (!(Number.isFinite(value) && value > 0))
		throw new Error(`--${name} must be a positive number`);
}

const worker = await startWorker();
let code = 1;
try {
	code = await run(worker);
} catch (err) {
	console.error(`load run failed: ${err.stack ?? err}\n${wranglerLog()}`);
} finally {
	await worker.stop();
}
process.exit(code);

async function run({ base, pgid }) {
	const call = client(base);
	const tally = new Tally();
	const admin = await signLocalToken({ sub: "load-admin", roles: ["admin"] });
	const devices = await createFleet(call, admin, options.devices);
	const pipeline = new Pipeline(
		call,
		await signLocalToken({ sub: "load-ci", roles: ["pipeline"] }),
		tally,
	);
	await pipeline.upload(pipeline.next(), "zip");
	if (!pipeline.current) throw new Error(`the first upload failed: ${tally.failures.join("; ")}`);

	const { runtime, proxy } = workerdProcesses(pgid);
	if (!runtime) throw new Error("no workerd runtime process in the Worker's process group");
	const inspector = await isolateInspector(runtime);
	const heap = inspector ? isolateHeap(inspector) : null;
	const memory = {
		runtime_start_mib: mib(rssKiB(runtime)),
		runtime_peak_mib: 0,
		proxy_peak_mib: 0,
		isolate_live_before_mib: heap ? mib(await heap.liveKiB()) : null,
	};
	const started = performance.now();
	const series = [];
	const sampleRss = () => {
		memory.runtime_peak_mib = Math.max(memory.runtime_peak_mib, mib(rssKiB(runtime)));
		if (proxy) memory.proxy_peak_mib = Math.max(memory.proxy_peak_mib, mib(rssKiB(proxy)));
	};
	const rssTimer = setInterval(sampleRss, 250);
	const seriesTimer = setInterval(() => {
		const t = Math.round((performance.now() - started) / 1000);
		series.push({ t, runtime_mib: Math.round(mib(rssKiB(runtime))) });
	}, 5000);
	heap?.startSampling();

	const deadline = started + options.seconds * 1000;
	const requests = deviceRequests(call, tally, pipeline);
	await Promise.all([
		pipeline.lane(deadline),
		...Array.from({ length: options.connections }, () => deviceLane(requests, devices, deadline)),
	]);
	const seconds = (performance.now() - started) / 1000;
	clearInterval(rssTimer);
	clearInterval(seriesTimer);
	sampleRss();
	const heapStats = heap ? await heap.stop() : null;
	Object.assign(memory, {
		runtime_end_mib: mib(rssKiB(runtime)),
		runtime_series: series,
		isolate_peak_mib: heapStats?.samples ? mib(heapStats.peakKiB) : null,
		isolate_samples: heapStats?.samples ?? 0,
		isolate_live_after_mib: heap ? mib(await heap.liveKiB()) : null,
		bound_rss_mib: options.maxRssMib,
		bound_isolate_mib: ISOLATE_LIMIT_MIB,
		bound_live_growth_mib: LIVE_GROWTH_MIB,
	});

	heap?.close();
	const verified = await verify(call, admin, pipeline, devices);
	const report = {
		seconds,
		connections: options.connections,
		devices: options.devices,
		summary: summarize(tally, seconds),
		network_errors: tally.networkErrors,
		wrong: tally.wrong,
		failures: tally.failures,
		memory,
		verified: { ...verified, current: pipeline.current.version, releases: pipeline.releases },
		expected_kinds: [...Object.keys(MIX), "upload"],
	};
	report.problems = problemsOf(report);
	printReport(report);
	writeReport(`${OUT}report.json`, report);
	return report.problems.length === 0 ? 0 : 1;
}
