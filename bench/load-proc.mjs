// What the load run (bench/load.mjs) watches of the Worker it started: the RSS of its workerd
// processes (from /proc) and the ota-edge isolate's heap (over the DevTools protocol).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const read = (path) => readFileSync(path, "utf8");

/** Processes of a process group: pid → command name. */
export function groupProcesses(pgid) {
	const found = new Map();
	for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
		try {
			const stat = read(`/proc/${pid}/stat`);
			const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			if (Number(fields[2]) === pgid) found.set(Number(pid), read(`/proc/${pid}/comm`).trim());
		} catch {
			// Gone, or not ours.
		}
	}
	return found;
}

/**
 * wrangler dev runs two workerd processes: a proxy that owns the public port, and the runtime
 * that runs the Worker and the local D1/R2 simulators (started with `--inspector-addr`).
 */
export function workerdProcesses(pgid) {
	const out = { runtime: null, proxy: null };
	for (const [pid, comm] of groupProcesses(pgid)) {
		if (comm !== "workerd") continue;
		const cmdline = read(`/proc/${pid}/cmdline`);
		if (cmdline.includes("--inspector-addr")) out.runtime = pid;
		else out.proxy = pid;
	}
	return out;
}

/** VmRSS of a process in KiB (0 when it is gone). */
export function rssKiB(pid) {
	try {
		return Number(/^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`))?.[1] ?? 0);
	} catch {
		return 0;
	}
}

/** The loopback ports a process listens on. */
export function listeningPorts(pid) {
	const byInode = new Map();
	for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
		for (const line of read(table).split("\n").slice(1)) {
			const cols = line.trim().split(/\s+/);
			if (cols[3] === "0A" && cols[9])
				byInode.set(cols[9], Number.parseInt(cols[1].split(":")[1], 16));
		}
	}
	const ports = [];
	for (const fd of readdirSync(`/proc/${pid}/fd`)) {
		try {
			const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
			if (inode && byInode.has(inode)) ports.push(byInode.get(inode));
		} catch {
			// Closed meanwhile.
		}
	}
	return ports;
}

/** The DevTools URL of the Worker's isolate (`core:user:<name>`) in the runtime, or null. */
export async function isolateInspector(runtimePid) {
	for (const port of listeningPorts(runtimePid)) {
		try {
			const res = await fetch(`http://127.0.0.1:${port}/json`, {
				signal: AbortSignal.timeout(1000),
			});
			const target = (await res.json()).find((t) => String(t.id).startsWith("core:user:"));
			if (target) return target.webSocketDebuggerUrl;
		} catch {
			// Not the inspector.
		}
	}
	return null;
}

/**
 * Watches an isolate over DevTools: its heap, V8 heap in use plus ArrayBuffer backing stores
 * (what counts toward a Worker's memory), in KiB. The runtime keeps one DevTools session and
 * wrangler takes it back now and then, so a lost session is opened again.
 * - `startSampling()` samples every `everyMs` until `stop()`, which returns
 *   { samples, peakKiB, lastKiB };
 * - `liveKiB()` has a full garbage collection run (by taking a heap snapshot) and answers what
 *   is still held (null when the inspector would not answer).
 */
export function isolateHeap(url, everyMs = 100) {
	let socket = null;
	let nextId = 0;
	const pending = new Map();
	const stats = { samples: 0, peakKiB: 0, lastKiB: 0 };
	let running = false;
	let loop = Promise.resolve();

	const connect = () =>
		new Promise((resolve) => {
			const ws = new WebSocket(url);
			const timer = setTimeout(() => resolve(null), 1000);
			ws.addEventListener("open", () => {
				clearTimeout(timer);
				resolve(ws);
			});
			ws.addEventListener("error", () => resolve(null));
			ws.addEventListener("close", () => {
				for (const answer of pending.values()) answer(null);
				pending.clear();
				if (socket === ws) socket = null;
			});
			ws.addEventListener("message", (event) => {
				const message = JSON.parse(String(event.data));
				if (message.id === undefined) return; // events: heap snapshot chunks
				pending.get(message.id)?.(message.error ? null : (message.result ?? {}));
				pending.delete(message.id);
			});
		});
	/** One call, on the session as it is or a new one; null when it is lost or slow. */
	const call = async (method, params = {}) => {
		socket ??= await connect();
		if (!socket) return null;
		const ws = socket;
		return new Promise((resolve) => {
			const id = ++nextId;
			pending.set(id, resolve);
			ws.send(JSON.stringify({ id, method, params }));
			setTimeout(() => {
				pending.delete(id);
				resolve(null);
			}, 10_000);
		});
	};
	const kibOf = (usage) =>
		Math.round(((usage.usedSize ?? 0) + (usage.backingStorageSize ?? 0)) / 1024);

	return {
		startSampling() {
			running = true;
			loop = (async () => {
				while (running) {
					const usage = await call("Runtime.getHeapUsage");
					if (usage) {
						stats.samples++;
						stats.lastKiB = kibOf(usage);
						stats.peakKiB = Math.max(stats.peakKiB, stats.lastKiB);
					}
					await new Promise((r) => setTimeout(r, everyMs));
				}
			})();
		},
		async stop() {
			running = false;
			await loop;
			return stats;
		},
		async liveKiB() {
			for (let attempt = 0; attempt < 20; attempt++) {
				// workerd has no HeapProfiler.collectGarbage; a heap snapshot starts with a full GC.
				// Its chunks arrive as events and are dropped. null is a lost session.
				if ((await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false })) !== null) {
					const usage = await call("Runtime.getHeapUsage");
					if (usage) return kibOf(usage);
				}
				await new Promise((r) => setTimeout(r, 250));
			}
			return null;
		},
		close() {
			socket?.close();
		},
	};
}
