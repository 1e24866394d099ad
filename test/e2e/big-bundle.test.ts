/**
 * A bundle at the body limit, through the real Worker under `wrangler dev`: a
 * ~100 MiB ZIP, almost all of it an incompressible ELF stored as is, whose app image names the
 * ELF's SHA-256 (so the whole ELF is hashed on the way in). It must upload with 200 and come
 * back byte for byte. Memory is measured, never asserted: the RSS of the workerd processes
 * serving it (/proc) and the ota-edge isolate's own heap (V8 heap and ArrayBuffer backing
 * stores, over the DevTools protocol), written to bench/out/big-bundle.json for
 * docs/reliability.md.
 */
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildAppImage, sha256Hex } from "../fixtures/app-image";
import { noise } from "../fixtures/firmware";
import { adminToken } from "./harness";
import { fs } from "./node-builtins";

const base = inject("e2eBaseUrl");
const FIRMWARE_MAX_BYTES = 104_857_600;
const MODEL = `big_bundle_${Date.now().toString(36)}`;
const VERSION = "9.9.0";
const OUT = new URL("../../bench/out/", (import.meta as ImportMeta & { url: string }).url).pathname;

let admin: string;
let zip: Uint8Array;
let image: Uint8Array;

const text = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
	admin = await adminToken();
	image = await buildAppImage({ version: VERSION, chip: "esp32s3", seed: 11 });
	// Leave room for the image and the ZIP's own headers under the limit.
	const elf = noise(FIRMWARE_MAX_BYTES - image.length - 64 * 1024, 77);
	image = await buildAppImage({
		version: VERSION,
		chip: "esp32s3",
		seed: 11,
		elfSha256: await sha256Hex(elf),
	});
	zip = zipSync(
		{
			[`${MODEL}.bin`]: image,
			[`${MODEL}.elf`]: [elf, { level: 0 }],
			[`${MODEL}.map`]: text("Memory map\n".repeat(1000)),
			sdkconfig: text('CONFIG_IDF_TARGET="esp32s3"\n'),
			"version.json": text(
				JSON.stringify({
					git_commit: "f".repeat(40),
					idf_version: "v5.4.1",
					firmware_version: VERSION,
				}),
			),
		},
		{ level: 6 },
	);
	const res = await fetch(`${base}/api/device-models`, {
		method: "POST",
		headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
		body: JSON.stringify({ code: MODEL, name: "Big bundle" }),
	});
	expect(res.status).toBe(201);
}, 120_000);

afterAll(async () => {
	await fetch(`${base}/api/device-models/${MODEL}`, {
		method: "DELETE",
		headers: { authorization: `Bearer ${admin}` },
	});
});

/** Listening loopback TCP sockets: inode → port. */
function listeningSockets(): Map<string, number> {
	const sockets = new Map<string, number>();
	for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
		for (const line of procText(table).split("\n").slice(1)) {
			const cols = line.trim().split(/\s+/);
			// local address, …, state (0A = LISTEN), …, inode
			const port = Number.parseInt(cols[1]?.split(":")[1] ?? "", 16);
			if (cols[3] === "0A" && cols[9] && Number.isFinite(port)) sockets.set(cols[9], port);
		}
	}
	return sockets;
}

/** The ports a process listens on. */
function portsOf(pid: number | string, sockets = listeningSockets()): number[] {
	const ports: number[] = [];
	try {
		for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
			const inode = /^socket:\[(\d+)\]$/.exec(readLink(`/proc/${pid}/fd/${fd}`) ?? "")?.[1];
			const port = inode ? sockets.get(inode) : undefined;
			if (port !== undefined) ports.push(port);
		}
	} catch {
		// Not ours to read, or gone.
	}
	return ports;
}

/**
 * The workerd processes behind a loopback port: wrangler dev runs a proxy that owns the port
 * and a runtime that runs the Worker and the local D1/R2 simulators, in one process group.
 */
function workerdProcesses(port: number): number[] {
	const sockets = listeningSockets();
	const pids = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
	const listener = pids.find((pid) => portsOf(pid, sockets).includes(port));
	if (!listener) return [];
	const group = statField(listener, 5);
	return pids
		.filter((pid) => {
			try {
				return statField(pid, 5) === group && comm(pid) === "workerd";
			} catch {
				return false;
			}
		})
		.map(Number);
}

/** The DevTools endpoint of the ota-edge isolate, found among the runtime's listening ports. */
async function isolateInspector(pids: number[]): Promise<string | null> {
	for (const pid of pids) {
		for (const port of portsOf(pid)) {
			try {
				const res = await fetch(`http://127.0.0.1:${port}/json`, {
					signal: AbortSignal.timeout(1000),
				});
				const targets = (await res.json()) as { id: string; webSocketDebuggerUrl: string }[];
				const target = targets.find((t) => t.id.startsWith("core:user:"));
				if (target) return target.webSocketDebuggerUrl;
			} catch {
				// Not an inspector.
			}
		}
	}
	return null;
}

interface HeapPeak {
	/** V8 heap in use, and ArrayBuffer backing stores, in KiB, before and at their peaks. */
	before_used_kib: number;
	peak_used_kib: number;
	before_backing_kib: number;
	peak_backing_kib: number;
	peak_total_kib: number;
	samples: number;
}

/** One DevTools session; calls answer null when the session is gone or slow. */
async function devtoolsSession(url: string) {
	const socket = new WebSocket(url);
	const pending = new Map<number, (result: Record<string, number> | null) => void>();
	const opened = await new Promise<boolean>((resolve) => {
		socket.addEventListener("open", () => resolve(true));
		socket.addEventListener("error", () => resolve(false));
		setTimeout(() => resolve(false), 1000);
	});
	let open = opened;
	socket.addEventListener("close", () => {
		open = false;
		for (const answer of pending.values()) answer(null);
		pending.clear();
	});
	socket.addEventListener("message", (event) => {
		const message = JSON.parse(String(event.data)) as {
			id?: number;
			result?: Record<string, number>;
			error?: unknown;
		};
		if (message.id === undefined) return; // events, such as heap snapshot chunks
		pending.get(message.id)?.(message.error ? null : (message.result ?? {}));
		pending.delete(message.id);
	});
	let id = 0;
	const call = (method: string, params: object = {}, timeoutMs = 500) =>
		new Promise<Record<string, number> | null>((resolve) => {
			if (!open) return resolve(null);
			const callId = ++id;
			pending.set(callId, resolve);
			socket.send(JSON.stringify({ id: callId, method, params }));
			setTimeout(() => {
				pending.delete(callId);
				resolve(null);
			}, timeoutMs);
		});
	return {
		isOpen: () => open,
		heapUsage: () => call("Runtime.getHeapUsage"),
		/** workerd has no HeapProfiler.collectGarbage; a heap snapshot begins with a full GC. */
		collectGarbage: () => call("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 20_000),
		close: () => socket.close(),
	};
}

/** What the isolate still holds after a full garbage collection, in KiB; null if unknown. */
async function liveHeapKib(url: string): Promise<number | null> {
	for (let attempt = 0; attempt < 20; attempt++) {
		const session = await devtoolsSession(url);
		const collected = await session.collectGarbage();
		const usage = collected ? await session.heapUsage() : null;
		session.close();
		if (usage) return Math.round(((usage.usedSize ?? 0) + (usage.backingStorageSize ?? 0)) / 1024);
		await new Promise((r) => setTimeout(r, 250));
	}
	return null;
}

/**
 * Samples the isolate's heap (Runtime.getHeapUsage) every 20 ms until the returned function is
 * called. The runtime keeps one DevTools session, which wrangler also uses: a session taken back
 * is opened again, and the number of samples is reported with the peaks.
 */
async function sampleHeap(url: string): Promise<() => Promise<HeapPeak | null>> {
	const kib = (bytes = 0) => Math.round(bytes / 1024);
	let peak: HeapPeak | null = null;
	const record = (u: Record<string, number>) => {
		const used = kib(u.usedSize);
		const backing = kib(u.backingStorageSize);
		peak ??= {
			before_used_kib: used,
			peak_used_kib: used,
			before_backing_kib: backing,
			peak_backing_kib: backing,
			peak_total_kib: used + backing,
			samples: 0,
		};
		peak.samples++;
		peak.peak_used_kib = Math.max(peak.peak_used_kib, used);
		peak.peak_backing_kib = Math.max(peak.peak_backing_kib, backing);
		peak.peak_total_kib = Math.max(peak.peak_total_kib, used + backing);
	};
	let session = await devtoolsSession(url);
	// The first sample is the baseline: wait for it (a few tries) before the work starts.
	for (let i = 0; i < 10 && !peak; i++) {
		const u = await session.heapUsage();
		if (u) record(u);
		else if (!session.isOpen()) session = await devtoolsSession(url);
	}
	let running = true;
	const loop = (async () => {
		while (running) {
			const u = await session.heapUsage();
			if (u) record(u);
			else if (!session.isOpen()) session = await devtoolsSession(url);
			await new Promise((r) => setTimeout(r, 20));
		}
	})();
	return async () => {
		running = false;
		await loop;
		session.close();
		return peak;
	};
}

/** The one call node-builtins.ts does not type: where a /proc/<pid>/fd entry points. */
declare const process: {
	getBuiltinModule(id: "node:fs"): { readlinkSync(path: string): string };
};
function readLink(path: string): string | null {
	try {
		return process.getBuiltinModule("node:fs").readlinkSync(path);
	} catch {
		return null;
	}
}
const procText = (path: string) => new TextDecoder().decode(fs.readFileSync(path));
const comm = (pid: string | number) => procText(`/proc/${pid}/comm`).trim();
/** A field of /proc/<pid>/stat, counted from 1, after the parenthesised command name. */
const statField = (pid: string | number, field: number) => {
	const stat = procText(`/proc/${pid}/stat`);
	return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[field - 3];
};
/** VmRSS and VmHWM of a process, in KiB. */
function memory(pid: number): { rss: number; hwm: number } {
	const status = procText(`/proc/${pid}/status`);
	const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
	return { rss: kib("VmRSS"), hwm: kib("VmHWM") };
}
/** Starts a new peak: writing 5 to clear_refs resets VmHWM to the current RSS. */
function resetPeak(pid: number): boolean {
	try {
		fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
		return true;
	} catch {
		return false;
	}
}

interface Measured {
	pid: number;
	before_rss_kib: number;
	peak_kib: number;
	after_rss_kib: number;
	peak_is_hwm: boolean;
}

/** Runs `work` while sampling the processes' RSS; HWM gives the exact peak where it was reset. */
async function measure<T>(pids: number[], work: () => Promise<T>): Promise<[T, Measured[]]> {
	const before = pids.map((pid) => ({ pid, ...memory(pid), reset: resetPeak(pid) }));
	const peaks = new Map(before.map((b) => [b.pid, b.rss]));
	const timer = setInterval(() => {
		for (const pid of pids) {
			const { rss } = memory(pid);
			if (rss > (peaks.get(pid) ?? 0)) peaks.set(pid, rss);
		}
	}, 50);
	try {
		const result = await work();
		return [
			result,
			before.map((b) => {
				const now = memory(b.pid);
				const peak = b.reset ? Math.max(now.hwm, peaks.get(b.pid) ?? 0) : (peaks.get(b.pid) ?? 0);
				return {
					pid: b.pid,
					before_rss_kib: b.rss,
					peak_kib: peak,
					after_rss_kib: now.rss,
					peak_is_hwm: b.reset,
				};
			}),
		];
	} finally {
		clearInterval(timer);
	}
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

describe("a bundle at the body limit", () => {
	it("uploads with 200 and downloads byte for byte, image and bundle", async () => {
		expect(zip.length).toBeLessThanOrEqual(FIRMWARE_MAX_BYTES);
		expect(zip.length).toBeGreaterThan(FIRMWARE_MAX_BYTES - 128 * 1024);
		const pids = workerdProcesses(Number(new URL(base).port));
		expect(pids.length, "the workerd processes of the harness Worker").toBeGreaterThan(0);
		const inspector = await isolateInspector(pids);

		const started = performance.now();
		const liveBefore = inspector ? await liveHeapKib(inspector) : null;
		const stopUploadHeap = inspector ? await sampleHeap(inspector) : null;
		const [upload, uploadMemory] = await measure(pids, async () => {
			const res = await fetch(`${base}/api/pipeline/models/${MODEL}/firmware`, {
				method: "POST",
				headers: { authorization: `Bearer ${admin}`, "content-type": "application/zip" },
				body: zip,
			});
			return { status: res.status, body: await res.text() };
		});
		const uploadSeconds = (performance.now() - started) / 1000;
		const uploadHeap = await stopUploadHeap?.();
		expect(upload.status, upload.body).toBe(200);
		expect(JSON.parse(upload.body)).toMatchObject({
			code: MODEL,
			firmware_version: VERSION,
			format: "zip",
			sha256: await sha256Hex(image),
			size: image.length,
			unchanged: false,
		});

		const stopDownloadHeap = inspector ? await sampleHeap(inspector) : null;
		const [bundle, downloadMemory] = await measure(pids, async () => {
			const res = await fetch(
				`${base}/api/device-models/${MODEL}/firmware/versions/${VERSION}/zip`,
				{ headers: { authorization: `Bearer ${admin}` } },
			);
			expect(res.status).toBe(200);
			expect(res.headers.get("content-length")).toBe(String(zip.length));
			return new Uint8Array(await res.arrayBuffer());
		});
		const downloadHeap = await stopDownloadHeap?.();
		expect(sameBytes(bundle, zip), "the bundle comes back as uploaded").toBe(true);

		const bin = await fetch(`${base}/api/device-models/${MODEL}/firmware/versions/${VERSION}/bin`, {
			headers: { authorization: `Bearer ${admin}` },
		});
		expect(bin.status).toBe(200);
		expect(sameBytes(new Uint8Array(await bin.arrayBuffer()), image)).toBe(true);

		const liveAfter = inspector ? await liveHeapKib(inspector) : null;
		fs.mkdirSync(OUT, { recursive: true });
		fs.writeFileSync(
			`${OUT}big-bundle.json`,
			`${JSON.stringify(
				{
					measured_at: new Date().toISOString(),
					bundle_bytes: zip.length,
					image_bytes: image.length,
					upload_seconds: Number(uploadSeconds.toFixed(2)),
					upload: { processes: uploadMemory, isolate_heap: uploadHeap ?? null },
					download: { processes: downloadMemory, isolate_heap: downloadHeap ?? null },
					isolate_live_kib: { before: liveBefore, after: liveAfter },
				},
				null,
				2,
			)}\n`,
		);
	}, 300_000);
});
