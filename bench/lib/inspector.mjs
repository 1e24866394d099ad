// The Worker's isolate seen through wrangler dev's inspector port (the DevTools protocol): a CPU
// profile under load (self time summed per function and per source file, so a report can say
// which part of the request path costs what) and the isolate's heap sampled during a request.

const MiB = 1024 * 1024;

async function connect(inspectorPort) {
	// The inspector proxy only talks to clients that say where they come from.
	const socket = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`, {
		headers: { origin: `http://127.0.0.1:${inspectorPort}` },
	});
	await new Promise((resolve, reject) => {
		socket.addEventListener("open", resolve, { once: true });
		socket.addEventListener("error", reject, { once: true });
	});
	let id = 0;
	const pending = new Map();
	socket.addEventListener("message", (event) => {
		const message = JSON.parse(String(event.data));
		// wrangler's proxy also echoes requests back; only answers carry a result or an error.
		if (!("result" in message) && !("error" in message)) return;
		const waiter = pending.get(message.id);
		if (!waiter) return;
		pending.delete(message.id);
		if (message.error) waiter.reject(new Error(message.error.message));
		else waiter.resolve(message.result);
	});
	const send = (method, params = {}) => {
		id += 1;
		socket.send(JSON.stringify({ id, method, params }));
		return id;
	};
	const call = (method, params = {}) =>
		new Promise((resolve, reject) => pending.set(send(method, params), { resolve, reject }));
	return { socket, send, call };
}

/** Runs `work()` while the Worker's isolate is being profiled; returns the summary. */
export async function profileWhile(inspectorPort, work, { intervalUs = 200 } = {}) {
	const { socket, send, call } = await connect(inspectorPort);
	try {
		// The proxy answers these with an echo rather than a result: send them and give the
		// isolate a moment; Profiler.stop's answer carries the profile and is awaited.
		send("Profiler.enable");
		send("Profiler.setSamplingInterval", { interval: intervalUs });
		send("Profiler.start");
		await new Promise((resolve) => setTimeout(resolve, 300));
		const result = await work();
		const { profile } = await call("Profiler.stop");
		return { result, summary: summarize(profile) };
	} finally {
		socket.close();
	}
}

/**
 * Runs `work()` while sampling the isolate's heap every `everyMs` (25 ms unless told; each sample
 * costs wrangler's processes some CPU, so work of seconds is sampled less often): V8's used heap plus the
 * ArrayBuffer backing stores, the Worker's own memory that the platform's 128 MB isolate limit
 * is about (the workerd process also holds the local D1/R2 simulators). Before and after, a full
 * garbage collection (workerd's inspector has no HeapProfiler.collectGarbage, but a heap
 * snapshot begins with one), so `beforeMiB` and `afterMiB` are live memory and the peak's
 * growth over `beforeMiB` is what the work needed, its garbage included. In MiB.
 */
export async function isolateHeapWhile(inspectorPort, work, { everyMs = 25 } = {}) {
	const { socket, send, call } = await connect(inspectorPort);
	const heap = async () => {
		const usage = await call("Runtime.getHeapUsage");
		return (usage.usedSize + (usage.backingStorageSize ?? 0)) / MiB;
	};
	// The proxy passes the snapshot on but answers with an echo; the inspector handles messages
	// in order, so the usage asked for next is read after the collection.
	const live = () => {
		send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
		return heap();
	};
	try {
		const before = await live();
		let peak = before;
		let sampling = true;
		const sampler = (async () => {
			while (sampling) {
				peak = Math.max(peak, await heap());
				await new Promise((resolve) => setTimeout(resolve, everyMs));
			}
		})();
		let result;
		try {
			result = await work();
		} finally {
			sampling = false;
			await sampler;
		}
		return { result, beforeMiB: before, peakMiB: peak, afterMiB: await live() };
	} finally {
		socket.close();
	}
}

/** Self time per function and per file, in ms, biggest first; idle and GC kept apart. */
export function summarize(profile) {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const self = new Map();
	const deltas = profile.timeDeltas ?? [];
	profile.samples.forEach((nodeId, index) => {
		self.set(nodeId, (self.get(nodeId) ?? 0) + (deltas[index + 1] ?? 0));
	});
	const functions = new Map();
	const files = new Map();
	let total = 0;
	let idle = 0;
	for (const [nodeId, micros] of self) {
		const frame = byId.get(nodeId)?.callFrame;
		if (!frame) continue;
		total += micros;
		if (frame.functionName === "(idle)" || frame.functionName === "(program)") {
			idle += micros;
			continue;
		}
		const file = fileOf(frame.url);
		const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
		functions.set(name, (functions.get(name) ?? 0) + micros);
		files.set(file, (files.get(file) ?? 0) + micros);
	}
	const top = (map, n) =>
		[...map]
			.sort((a, b) => b[1] - a[1])
			.slice(0, n)
			.map(([name, micros]) => ({ name, ms: micros / 1000 }));
	return {
		totalMs: total / 1000,
		busyMs: (total - idle) / 1000,
		functions: top(functions, 25),
		files: top(files, 20),
	};
}

/** A bundle path shortened to the package or source file it came from. */
function fileOf(url) {
	if (!url) return "(native)";
	const modules = url.lastIndexOf("node_modules/");
	if (modules >= 0) return url.slice(modules + "node_modules/".length);
	const src = url.lastIndexOf("/src/");
	if (src >= 0) return url.slice(src + 1);
	return url.replace(/^.*\//, "");
}
