// Measurements turned into rows of the one table (see report.mjs for how they print).
import { median } from "./load.mjs";

const MiB = 1024 * 1024;

/**
 * A load scenario's rows: req/s and the servers' CPU time per request (both with the target, as
 * a fraction of the baseline), p50 and p99; also the CPU split by process. When the baseline writing
 * one log line per request was measured too (`measured["baseline + log"]`), req/s and CPU are
 * also given against it, with the same target: ota-edge writes that line on every request.
 */
export function addLoadRows(
	results,
	scenario,
	measured,
	target = null,
	{ cpuOfLogged = true } = {},
) {
	const p = measured["ota-edge"];
	const b = measured.baseline;
	const n = measured.nginx;
	const logged = measured["baseline + log"];
	for (const [who, m] of [
		["ota-edge", p],
		["baseline", b],
		["baseline + 1 log line", cpuOfLogged ? logged : null],
	]) {
		if (m)
			results.cpu.push({ scenario, who, total: m.cpuMsPerRequest, ...m.cpuMsPerRequestByRole });
	}
	const metrics = [
		["req/s", (x) => x.rps, "higher", target],
		["p50 ms", (x) => x.p50ms, "lower", null],
		["p99 ms", (x) => x.p99ms, "lower", null],
		// Judged too: on a machine other jobs share, req/s also measures how much CPU each server
		// got from the scheduler, CPU per request only what the server itself spends.
		["server CPU ms/req", (x) => x.cpuMsPerRequest, "lower", target],
	];
	for (const [metric, pick, better, goal] of metrics) {
		results.rows.push({
			scenario,
			metric,
			product: pick(p),
			baseline: b ? pick(b) : null,
			nginx: n ? pick(n) : null,
			better,
			target: goal,
			errors:
				metric === "req/s" ? { "ota-edge": p.errors, baseline: b?.errors, nginx: n?.errors } : null,
		});
	}
	if (!logged) return;
	for (const [metric, pick, better, goal] of [metrics[0], metrics[3]]) {
		results.rows.push({
			scenario,
			metric: `${metric}, vs baseline + 1 log line`,
			product: pick(p),
			baseline: pick(logged),
			nginx: null,
			better,
			target: goal,
			labels: { baseline: "+ log line" },
			errors: metric === "req/s" ? { "baseline + log": logged.errors } : null,
		});
	}
}

/**
 * An upload scenario: median time to the answer; the isolate heap's largest growth during one
 * upload over its live heap before it (checked against `heapUnderMiB`), and the live heap
 * before and after (what an upload leaves behind); the runtime workerd process's largest RSS
 * growth. Memory rows are absolute: the baseline only stores the body, so no ratio.
 */
export function addUploadRows(results, scenario, size, uploads, { heapUnderMiB } = {}) {
	const label = `${scenario}, ${(size / MiB).toFixed(1)} MiB`;
	const status = uploads.product.every((u) => u.ok) ? "200" : "FAILED";
	const row = (metric, pick, extra = {}) =>
		results.rows.push({
			scenario: label,
			metric,
			product: pick(uploads.product),
			baseline: pick(uploads.baseline),
			nginx: null,
			better: "lower",
			target: null,
			status,
			...extra,
		});
	const max = (list, pick) => Math.max(...list.map(pick));
	row("time to 200, s", (list) => median(list.map((u) => u.result.seconds)));
	row("isolate heap growth, MiB", (list) => max(list, (u) => u.heap.peakMiB - u.heap.beforeMiB), {
		limitMiB: heapUnderMiB ?? null,
		noRatio: true,
	});
	row(
		"isolate live heap after − before, MiB",
		(list) => max(list, (u) => u.heap.afterMiB - u.heap.beforeMiB),
		{ noRatio: true },
	);
	row("workerd RSS growth, MiB", (list) => max(list, (u) => u.growthMiB), { noRatio: true });
}

/** The bundle fallback against ota-edge's own direct path (in the baseline column). */
export function addFallbackRows(results, times) {
	results.rows.push({
		scenario: "Image taken out of the bundle vs direct (ota-edge both)",
		metric: "ms to last byte",
		product: median(times.fallback),
		baseline: median(times.r2),
		nginx: null,
		better: "lower",
		target: null,
		labels: { product: "from bundle", baseline: "ota-edge, R2" },
	});
	results.rows.push({
		scenario: "Image taken out of the bundle vs direct (ota-edge both)",
		metric: "ms to last byte, cached",
		product: null,
		baseline: median(times.cached),
		nginx: null,
		better: "lower",
		target: null,
		labels: { baseline: "ota-edge, cache" },
	});
}

/**
 * Crash analysis (bench/lib/crash-analysis.mjs): the first dump of a realistic ELF against the
 * baseline Worker reading that ELF once; each warm re-analysis against Node decoding the same
 * dump in-process; the index builder in Node against reading the same ELF once.
 */
export function addCrashRows(results, { label, first, floor, warm, inNode, nearMiB }) {
	const push = (scenario, metric, product, baseline, labels, extra = {}) =>
		results.rows.push({
			scenario,
			metric,
			product,
			baseline,
			nginx: null,
			better: "lower",
			target: null,
			labels,
			...extra,
		});
	const firstScenario = `Crash analysis, first dump of a realistic ELF (${label}): index + decode`;
	const readOnce = { baseline: "reads the ELF once" };
	push(firstScenario, "s from device POST to decoded", first.seconds, floor.seconds, readOnce);
	push(firstScenario, "runtime CPU ms", first.runtimeMs, floor.runtimeMs, readOnce);
	push(
		firstScenario,
		"isolate heap growth, MiB",
		first.heap.peakMiB - first.heap.beforeMiB,
		floor.heap.peakMiB - floor.heap.beforeMiB,
		readOnce,
		{ noRatio: true },
	);
	for (const w of warm) {
		const scenario = `Crash analysis, warm re-analysis, ${w.chip} dump (${w.tasks} tasks)`;
		const node = { baseline: "Node, decode only" };
		// Only the runtime's CPU: wrangler's proxy and node add background work of their own that
		// swamps a 40 ms figure (a run gave -69 ms after the control was taken off).
		push(scenario, "runtime CPU ms per analysis", w.worker.runtimeMs, w.node.cpuMs, node);
		push(scenario, "ms from POST …/analyze to decoded", w.worker.wallMs, null, {});
	}
	for (const [name, what] of [
		["realistic", `the same ${label}`],
		["near", `a synthetic ${nearMiB} MiB ELF`],
	]) {
		const { build, read } = inNode[name];
		const scenario = `ELF index build in Node (not wrangler dev), ${what}`;
		const floorLabel = { baseline: "reads it once" };
		push(scenario, "build s", build.buildMs / 1000, read.buildMs / 1000, floorLabel);
		push(
			scenario,
			"peak heap + buffers, MiB",
			build.peakBytes / MiB,
			read.peakBytes / MiB,
			floorLabel,
			{
				noRatio: true,
			},
		);
		push(scenario, "peak reachable, MiB", build.liveBytes / MiB, read.liveBytes / MiB, floorLabel, {
			noRatio: true,
		});
		push(scenario, "index MiB", build.indexBytes / MiB, null, {}, { noRatio: true });
	}
}
