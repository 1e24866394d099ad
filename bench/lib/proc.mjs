// What the kernel knows about the servers' processes: their trees, CPU time and memory.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const MiB = 1024 * 1024;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on Linux). */
const TICK_MS = 10;

/** `pid` and every process below it. */
export function descendants(pid) {
	const out = [];
	const queue = [pid];
	while (queue.length > 0) {
		const next = queue.shift();
		out.push(next);
		let children = "";
		try {
			for (const task of readdirSync(`/proc/${next}/task`)) {
				children += ` ${readFileSync(`/proc/${next}/task/${task}/children`, "utf8")}`;
			}
		} catch {}
		for (const child of children.split(/\s+/).filter(Boolean)) queue.push(Number(child));
	}
	return out;
}

/**
 * wrangler dev runs two workerd processes: a proxy that owns the public port and the runtime
 * that runs the Worker (and the local D1/R2/cache simulators). The runtime is the one started
 * with an inspector address.
 */
export function workerdPid(rootPid, which) {
	for (const pid of descendants(rootPid)) {
		let comm;
		let cmdline;
		try {
			comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
			cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
		} catch {
			continue;
		}
		if (comm !== "workerd") continue;
		if ((which === "runtime") === cmdline.includes("--inspector-addr")) return pid;
	}
	return null;
}

/**
 * User + system CPU time (ms) used so far by the process tree under `rootPid`, in total and
 * per role: the Worker's runtime (workerd with the D1/R2/cache simulators), wrangler's proxy
 * (workerd in front of it), wrangler itself (node, which also prints the logs) and the rest.
 * With `oneWorkerd`, the tree has one workerd and no proxy (bench/runtime-server.mjs): it is the
 * runtime, and node is the Miniflare host that prints the logs.
 */
export function treeCpuMs(rootPid, { oneWorkerd = false } = {}) {
	const byRole = { runtime: 0, proxy: 0, wrangler: 0, other: 0 };
	for (const pid of descendants(rootPid)) {
		try {
			// Fields after the command (which may contain spaces) start at the last ")".
			const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
			const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			byRole[roleOf(pid, oneWorkerd)] += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
		} catch {}
	}
	const total = Object.values(byRole).reduce((a, b) => a + b, 0);
	return { total, byRole };
}

/**
 * As `treeCpuMs`, but from the scheduler's own accounting (`/proc/<pid>/task/<tid>/schedstat`,
 * nanoseconds on the CPU per thread) rather than 10 ms ticks: for work of tens of milliseconds.
 */
export function treeSchedCpuMs(rootPid) {
	const byRole = { runtime: 0, proxy: 0, wrangler: 0, other: 0 };
	for (const pid of descendants(rootPid)) {
		try {
			const role = roleOf(pid);
			for (const task of readdirSync(`/proc/${pid}/task`)) {
				const stat = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8");
				byRole[role] += Number(stat.split(" ")[0]) / 1e6;
			}
		} catch {}
	}
	const total = Object.values(byRole).reduce((a, b) => a + b, 0);
	return { total, byRole };
}

function roleOf(pid, oneWorkerd = false) {
	const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
	if (comm === "workerd") {
		if (oneWorkerd) return "runtime";
		return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr")
			? "runtime"
			: "proxy";
	}
	return comm === "node" ? "wrangler" : "other";
}

function memory(pid) {
	const text = readFileSync(`/proc/${pid}/status`, "utf8");
	const field = (name) =>
		Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
	return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/**
 * Runs `work()` and reports the process's RSS before it and its peak during it: the kernel's
 * high-water mark (VmHWM), reset to the current RSS first (`5` into clear_refs), and VmRSS
 * sampled every 20 ms in case the reset is not permitted.
 */
export async function measurePeak(pid, work) {
	let reset = false;
	try {
		writeFileSync(`/proc/${pid}/clear_refs`, "5");
		reset = true;
	} catch {}
	const before = memory(pid).rss;
	let sampled = before;
	const timer = setInterval(() => {
		try {
			sampled = Math.max(sampled, memory(pid).rss);
		} catch {}
	}, 20);
	try {
		const result = await work();
		const peak = reset ? Math.max(memory(pid).hwm, sampled) : sampled;
		return {
			result,
			beforeMiB: before / MiB,
			peakMiB: peak / MiB,
			growthMiB: (peak - before) / MiB,
		};
	} finally {
		clearInterval(timer);
	}
}
