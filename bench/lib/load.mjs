// Bounded load with wrk (bench/wrk/scenario.lua), and the A/B alternation that lets drift
// (a neighbour's job, thermal state, a cache warming up) fall on every target alike.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { treeCpuMs } from "./proc.mjs";
import { ROOT } from "./servers.mjs";

const SCRIPT = join(ROOT, "bench/wrk/scenario.lua");
/** No single load run may last longer than this. */
export const MAX_RUN_SECONDS = 20;

/**
 * One wrk run: `connections` keep-alive connections on one thread for `seconds`.
 * `options` are scenario.lua arguments (method=…, header=…, body=…, tokens=…, ranges=…).
 */
export function runWrk(url, { seconds, connections = 4, options = [] }) {
	if (seconds > MAX_RUN_SECONDS) throw new Error(`a load run is capped at ${MAX_RUN_SECONDS} s`);
	const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", SCRIPT, url];
	if (options.length > 0) args.push("--", ...options);
	return new Promise((resolve, reject) => {
		execFile("wrk", args, { timeout: (seconds + 30) * 1000, maxBuffer: 1 << 20 }, (err, stdout) => {
			if (err) return reject(new Error(`wrk failed on ${url}: ${err.message}`));
			const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
			if (!line) return reject(new Error(`wrk printed no summary for ${url}:\n${stdout}`));
			const raw = JSON.parse(line.slice("WRK_JSON ".length));
			const errors = Object.values(raw.errors).reduce((a, b) => a + b, 0);
			resolve({
				requests: raw.requests,
				seconds: raw.duration_us / 1e6,
				rps: raw.requests / (raw.duration_us / 1e6),
				p50ms: raw.p50_us / 1000,
				p99ms: raw.p99_us / 1000,
				bytes: raw.bytes,
				errors,
				errorDetail: raw.errors,
			});
		});
	});
}

/**
 * Runs every target `rounds` times, in the order A B C, then C B A, and so on, each run
 * `seconds` long; `onRun` hears each result. Per target: requests/s over all its runs, the
 * median of the runs' p50 and p99, and the CPU time its server's process tree (`cpuRoot`)
 * spent per request.
 */
export async function alternate(targets, { rounds, seconds, onRun = () => {} }) {
	const runs = new Map(targets.map((t) => [t.name, []]));
	for (let round = 0; round < rounds; round++) {
		const order = round % 2 === 0 ? targets : [...targets].reverse();
		for (const target of order) {
			const cpuOptions = { oneWorkerd: target.oneWorkerd };
			const cpuBefore = treeCpuMs(target.cpuRoot, cpuOptions);
			const result = await runWrk(target.url, { seconds, options: target.options ?? [] });
			const cpuAfter = treeCpuMs(target.cpuRoot, cpuOptions);
			result.cpuMs = cpuAfter.total - cpuBefore.total;
			result.cpuByRole = Object.fromEntries(
				Object.keys(cpuAfter.byRole).map((k) => [k, cpuAfter.byRole[k] - cpuBefore.byRole[k]]),
			);
			runs.get(target.name).push(result);
			onRun(target.name, round, result);
		}
	}
	const out = {};
	for (const [name, list] of runs) {
		const requests = list.reduce((n, r) => n + r.requests, 0);
		const time = list.reduce((n, r) => n + r.seconds, 0);
		out[name] = {
			rps: requests / time,
			p50ms: median(list.map((r) => r.p50ms)),
			p99ms: median(list.map((r) => r.p99ms)),
			requests,
			cpuMsPerRequest: list.reduce((n, r) => n + r.cpuMs, 0) / Math.max(requests, 1),
			cpuMsPerRequestByRole: Object.fromEntries(
				Object.keys(list[0].cpuByRole).map((role) => [
					role,
					list.reduce((n, r) => n + r.cpuByRole[role], 0) / Math.max(requests, 1),
				]),
			),
			errors: list.reduce((n, r) => n + r.errors, 0),
			runs: list.map((r) => Number(r.rps.toFixed(1))),
		};
	}
	return out;
}

export function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
