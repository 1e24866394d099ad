// The load run's report (bench/load.mjs): requests by kind with status counts and p50/p99, the
// memory it took, what was verified, and the verdict; printed, and written as JSON.
import { writeFileSync } from "node:fs";

const percentile = (sorted, p) =>
	sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const mib = (kib) => (kib === null ? null : kib / 1024);

/** Rows by kind and the totals. */
export function summarize(tally, seconds) {
	const rows = [];
	const all = [];
	let fiveXX = 0;
	for (const [kind, { latencies, statuses }] of tally.kinds) {
		const sorted = [...latencies].sort((a, b) => a - b);
		all.push(...sorted);
		for (const [status, count] of Object.entries(statuses))
			if (Number(status) >= 500) fiveXX += count;
		rows.push({
			kind,
			requests: sorted.length,
			per_second: sorted.length / seconds,
			p50_ms: percentile(sorted, 0.5),
			p99_ms: percentile(sorted, 0.99),
			statuses,
		});
	}
	all.sort((a, b) => a - b);
	return {
		rows,
		total: all.length,
		per_second: all.length / seconds,
		p50_ms: percentile(all, 0.5),
		p99_ms: percentile(all, 0.99),
		five_xx: fiveXX,
	};
}

export function printReport(r) {
	const pad = (s, n) => String(s).padStart(n);
	const line = (kind, requests, perSecond, p50, p99, rest = "") =>
		`${kind.padEnd(11)}${pad(requests, 9)}${pad(perSecond.toFixed(1), 8)}${pad(p50.toFixed(1), 8)}${pad(p99.toFixed(1), 8)}  ${rest}`;
	const m = r.memory;
	const fixed = (v, digits = 0) => (v === null ? "?" : v.toFixed(digits));
	console.log(
		`\nota-edge load run: ${r.seconds.toFixed(1)} s, ${r.connections} device connections (${r.devices} devices) + 1 CI uploader`,
	);
	console.log(
		`${"kind".padEnd(11)}${pad("requests", 9)}${pad("req/s", 8)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}  statuses`,
	);
	for (const k of r.summary.rows) {
		const statuses = Object.entries(k.statuses).map(([s, n]) => `${s}×${n}`);
		console.log(line(k.kind, k.requests, k.per_second, k.p50_ms, k.p99_ms, statuses.join(" ")));
	}
	const s = r.summary;
	console.log(line("all", s.total, s.per_second, s.p50_ms, s.p99_ms));
	console.log(
		`5xx: ${s.five_xx}   network errors: ${r.network_errors}   wrong answers: ${r.wrong}`,
	);
	console.log(
		`workerd RSS: runtime ${fixed(m.runtime_start_mib)} → peak ${fixed(m.runtime_peak_mib)} MiB (bound ${m.bound_rss_mib}), end ${fixed(m.runtime_end_mib)}; proxy peak ${fixed(m.proxy_peak_mib)} MiB`,
	);
	console.log(
		`isolate heap (V8 + ArrayBuffers): peak ${fixed(m.isolate_peak_mib, 1)} MiB (bound ${m.bound_isolate_mib}, ${m.isolate_samples} samples); live after a full GC ${fixed(m.isolate_live_before_mib, 1)} → ${fixed(m.isolate_live_after_mib, 1)} MiB (growth bound ${m.bound_live_growth_mib})`,
	);
	const v = r.verified;
	console.log(
		`nothing lost: ${v.versions} versions (current ${v.current}, ${(v.versionBytes / 2 ** 20).toFixed(1)} MiB) and ${v.dumps} core dumps (of ${v.accepted} accepted) came back byte for byte${v.lost.length ? `; NOT: ${v.lost.length} problems` : ""}`,
	);
	for (const f of r.failures.slice(0, 10)) console.log(`  ${f}`);
	console.log(r.problems.length === 0 ? "PASS" : `FAIL: ${r.problems.join("; ")}`);
}

/** What fails the run. */
export function problemsOf(r) {
	const m = r.memory;
	const problems = [];
	if (r.summary.five_xx > 0) problems.push(`${r.summary.five_xx} answers were 5xx`);
	if (r.network_errors > 0) problems.push(`${r.network_errors} requests failed on the network`);
	if (r.wrong > 0) problems.push(`${r.wrong} answers were wrong`);
	if (r.verified.lost.length > 0)
		problems.push(`lost or changed: ${r.verified.lost.slice(0, 5).join("; ")}`);
	if (m.runtime_peak_mib > m.bound_rss_mib) {
		problems.push(`workerd RSS ${m.runtime_peak_mib.toFixed(0)} MiB > ${m.bound_rss_mib} MiB`);
	}
	if (m.isolate_peak_mib !== null && m.isolate_peak_mib > m.bound_isolate_mib) {
		problems.push(`isolate heap ${m.isolate_peak_mib.toFixed(0)} MiB > ${m.bound_isolate_mib} MiB`);
	}
	if (m.isolate_live_before_mib !== null && m.isolate_live_after_mib !== null) {
		const growth = m.isolate_live_after_mib - m.isolate_live_before_mib;
		if (growth > m.bound_live_growth_mib) {
			problems.push(`the isolate kept ${growth.toFixed(1)} MiB more after the run`);
		}
	}
	const missing = r.expected_kinds.filter((k) => !r.summary.rows.some((row) => row.kind === k));
	if (missing.length > 0) problems.push(`no requests of: ${missing.join(", ")}`);
	return problems;
}

export function writeReport(path, r) {
	writeFileSync(
		path,
		`${JSON.stringify({ measured_at: new Date().toISOString(), ...r }, null, 2)}\n`,
	);
}

export { mib };
