// The scenarios of issue 7, each a function of the run's context (`ctx`): servers, loaded
// data, fixtures, `results` to add rows to, `log`, and the load durations.

import { crashAnalysis } from "./crash-analysis.mjs";
import { sha256Hex } from "./firmware.mjs";
import { inflate } from "./inflate.mjs";
import { isolateHeapWhile, profileWhile } from "./inspector.mjs";
import { alternate } from "./load.mjs";
import { measurePeak } from "./proc.mjs";
import { Api, adminToken, curlPut, curlUpload, timedGet } from "./product.mjs";
import { addFallbackRows, addLoadRows, addUploadRows } from "./rows.mjs";
import { runtimeOnly } from "./runtime-only.mjs";
import { sleep } from "./servers.mjs";
import { must, restartProduct, STATE } from "./setup.mjs";
import { countStorageCalls, deleteImageObjects } from "./storage-calls.mjs";

const MiB = 1024 * 1024;

/**
 * ota-edge, the baseline Worker and nginx on the same image, each with its own options; with
 * `logged`, also the baseline writing one log line per request (what ota-edge's own line costs
 * under wrangler dev), with the baseline's options. `url` replaces ota-edge's URL.
 */
function downloadTargets(ctx, product = [], baseline = [], nginx = [], { logged, url } = {}) {
	const { servers, data } = ctx;
	const auth = `header=Authorization: Bearer ${data.downloader.token}`;
	const targets = [
		{
			name: "ota-edge",
			url: url ?? data.urls.product,
			options: [auth, ...product],
			cpuRoot: servers.product.pid,
		},
		{ name: "baseline", url: data.urls.baseline, options: baseline, cpuRoot: servers.baseline.pid },
		{ name: "nginx", url: data.urls.nginx, options: nginx, cpuRoot: servers.nginx.pid },
	];
	if (logged) {
		targets.push({
			name: "baseline + log",
			url: data.urls.baselineLogging,
			options: baseline,
			cpuRoot: servers.baselineLogging.pid,
		});
	}
	return targets;
}

function onRun(ctx) {
	return (name, round, r) =>
		ctx.log(
			`  ${name.padEnd(17)} ${round + 1}: ${r.rps.toFixed(1)} req/s, p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms${r.errors ? `, ${r.errors} errors` : ""}`,
		);
}

export async function warmUp(ctx) {
	ctx.log("warming up: JIT, caches, connections (not measured)");
	await alternate(downloadTargets(ctx), { rounds: 1, seconds: 2 });
	const ranges = ["ranges=2097152:65536"];
	await alternate(downloadTargets(ctx, ranges, ranges, ranges), { rounds: 1, seconds: 1 });
}

export async function fullDownload(ctx) {
	ctx.log("full download of the 2 MiB image, 4 connections");
	const measured = await alternate(downloadTargets(ctx, [], [], [], { logged: true }), {
		...ctx.load,
		onRun: onRun(ctx),
	});
	addLoadRows(ctx.results, "Full download, 2 MiB", measured, 0.9);
}

export async function partialDownload(ctx) {
	ctx.log(
		"partial download of /api/iot/firmware/{sha256}: bytes=0-0, then 64 KiB ranges, as ESP-IDF asks",
	);
	const ranges = ["ranges=2097152:65536"];
	const measured = await alternate(
		downloadTargets(ctx, ranges, ranges, ranges, { logged: true, url: ctx.data.urls.productBySha }),
		{ ...ctx.load, onRun: onRun(ctx) },
	);
	addLoadRows(ctx.results, "Partial download, 64 KiB ranges", measured, 0.9);
}

export async function revalidation(ctx) {
	ctx.log("revalidation: If-None-Match → 304, and GET /api/iot/firmware-version");
	const { etags, downloader } = ctx.data;
	const measured = await alternate(
		[
			...downloadTargets(
				ctx,
				[`header=If-None-Match: ${etags.product}`],
				[`header=If-None-Match: ${etags.baseline}`],
				[`header=If-None-Match: ${etags.nginx}`],
				{ logged: true },
			),
			{
				name: "ota-edge version",
				url: `${ctx.servers.product.url}/api/iot/firmware-version`,
				options: [`header=Authorization: Bearer ${downloader.token}`],
				cpuRoot: ctx.servers.product.pid,
			},
		],
		{ ...ctx.short, onRun: onRun(ctx) },
	);
	addLoadRows(ctx.results, "Revalidation, If-None-Match → 304", measured, 0.8);
	addLoadRows(
		ctx.results,
		"GET /api/iot/firmware-version vs the baseline's 304",
		{
			"ota-edge": measured["ota-edge version"],
			baseline: measured.baseline,
			"baseline + log": measured["baseline + log"],
		},
		0.8,
		{ cpuOfLogged: false },
	);
}

export async function coredumps(ctx) {
	const { servers, data, fixtures } = ctx;
	const url = `${servers.product.url}/api/iot/coredump?chip=esp32&firmware_version=1.0.0`;
	const probe = await fetch(url, {
		method: "POST",
		headers: { authorization: `Bearer ${data.crashers[0].token}` },
		body: new Uint8Array(16).fill(7),
	});
	const answer = await probe.text();
	if (probe.status !== 201) {
		ctx.results.notes.push(`Core dump upload answered ${probe.status} (${answer}); not measured.`);
		ctx.log(`core dump upload answered ${probe.status}; skipping the core dump scenarios`);
		return;
	}
	for (const [label, dump] of Object.entries(fixtures.dumps)) {
		ctx.log(`core dump upload, ${label}, ${data.crashers.length} devices in turn`);
		const measured = await alternate(
			[
				{
					name: "ota-edge",
					url,
					options: ["method=POST", `body=${dump.file}`, `tokens=${data.crasherTokens}`],
					cpuRoot: servers.product.pid,
				},
				{
					name: "baseline",
					url: `${servers.baseline.url}/object/coredumps/`,
					options: ["method=PUT", `body=${dump.file}`],
					cpuRoot: servers.baseline.pid,
				},
			],
			{ ...ctx.short, onRun: onRun(ctx) },
		);
		addLoadRows(ctx.results, `Core dump upload, ${label}, vs a bare R2 put`, measured);
	}
}

export async function uploads(ctx) {
	const { realistic, big } = ctx.fixtures;
	// A fresh isolate, so that the uploads start from a heap the load runs left nothing in.
	ctx.log("restarting ota-edge for a fresh isolate");
	await restartProduct(ctx);

	const near = { product: [], baseline: [] };
	for (const [i, b] of big.entries()) {
		ctx.log(
			`bundle upload near the limit ${i + 1}/${big.length}: ${(b.size / MiB).toFixed(1)} MiB zip`,
		);
		near.product.push(await timedUpload(ctx, "product", b, `big${i}`));
		near.baseline.push(await timedUpload(ctx, "baseline", b, `big${i}`));
	}
	addUploadRows(ctx.results, "Bundle upload, near 100 MiB", big[0].size, near, {
		heapUnderMiB: 64,
	});

	const timed = { product: [], baseline: [] };
	for (const [i, b] of realistic.entries()) {
		ctx.log(`bundle upload ${i + 1}/${realistic.length}: ${(b.size / MiB).toFixed(1)} MiB zip`);
		const order = i % 2 === 0 ? ["product", "baseline"] : ["baseline", "product"];
		for (const who of order) timed[who].push(await timedUpload(ctx, who, b, `r${i}`));
	}
	addUploadRows(
		ctx.results,
		"Bundle upload, realistic (1.5 + 20 + 4 MiB)",
		realistic[0].size,
		timed,
	);
}

/**
 * One upload with curl, timed by curl, with the memory peaks around it: the Worker isolate's
 * heap (from the inspector) and the runtime workerd process's RSS.
 */
async function timedUpload(ctx, who, bundleFile, tag) {
	const { product, baseline } = ctx.servers;
	const server = who === "product" ? product : baseline;
	const send =
		who === "product"
			? () =>
					curlUpload(
						`${product.url}/api/pipeline/models/bench_ci/firmware`,
						bundleFile.file,
						ctx.data.ci,
					)
			: () => curlPut(`${baseline.url}/object/bundles/${tag}.zip`, bundleFile.file);
	const heap = await isolateHeapWhile(server.inspectorPort, () =>
		measurePeak(server.runtimePid, send),
	);
	const measured = heap.result;
	const { status, seconds, body } = measured.result;
	const ok = status === (who === "product" ? 200 : 201);
	ctx.log(
		`  ${who.padEnd(8)} ${status} in ${seconds.toFixed(2)} s; isolate heap ${heap.beforeMiB.toFixed(1)} live → peak ${heap.peakMiB.toFixed(1)} → ${heap.afterMiB.toFixed(1)} MiB live; workerd RSS +${measured.growthMiB.toFixed(1)} MiB`,
	);
	if (!ok) ctx.results.notes.push(`${who} upload of ${bundleFile.version}: ${status} ${body}`);
	return { ...measured, heap, ok };
}

export async function fallback(ctx) {
	const { servers, data, fixtures } = ctx;
	ctx.log("bundle fallback: image objects removed, each image taken out of its bundle once");
	for (const b of fixtures.fallbacks) {
		const r = await curlUpload(
			`${servers.product.url}/api/pipeline/models/bench_fallback/firmware`,
			b.file,
			data.ci,
		);
		must(r.status === 200, `a fallback bundle upload answered ${r.status}: ${r.body}`);
	}
	const removed = await deleteImageObjects(
		servers.productConfig,
		STATE,
		"firmware/bench_fallback/",
	);
	must(removed === fixtures.fallbacks.length, `removed ${removed} image objects`);
	const times = { fallback: [], r2: [], cached: [] };
	const headers = { authorization: `Bearer ${data.fallbackDevice.token}` };
	// A device is served only its own target: pin it to each version in turn, then unpin.
	const api = new Api(servers.product.url, await adminToken());
	const pin = (version) =>
		api.json("PATCH", `/api/devices/${data.fallbackDevice.key}`, { pinned_version: version });
	for (const b of fixtures.fallbacks.slice(0, -1)) {
		await pin(b.version);
		const url = `${servers.product.url}/api/iot/firmware/${b.imageSha256}`;
		for (const kind of ["fallback", "r2", "cached"]) {
			const got = await timedGet(url, headers);
			must(
				got.status === 200 && sha256Hex(got.body) === b.imageSha256,
				`the ${kind} download of ${b.version} answered ${got.status}`,
			);
			times[kind].push(got.ms);
			await sleep(300); // storing the image again and filling the cache are deferred work
		}
	}
	await pin(null);
	ctx.log(
		`  from the bundle ${times.fallback.map((t) => t.toFixed(0)).join(", ")} ms; from R2 ${times.r2.map((t) => t.toFixed(0)).join(", ")} ms`,
	);
	addFallbackRows(ctx.results, times);
}

/** Where the isolate's time goes on the cheapest authenticated request (a 304). */
export async function profile(ctx) {
	ctx.log("CPU profile of ota-edge's isolate during revalidation (not part of the table)");
	const [target] = downloadTargets(ctx, [`header=If-None-Match: ${ctx.data.etags.product}`]);
	const { result, summary } = await profileWhile(ctx.servers.product.inspectorPort, () =>
		alternate([target], { rounds: 1, seconds: ctx.short.seconds }),
	);
	ctx.results.profile = { ...summary, requests: result["ota-edge"].requests };
}

/** Storage calls per request kind, counted on the state this run left behind. */
export async function anatomy(ctx) {
	ctx.log("counting storage calls per request (ota-edge with counting bindings)");
	const { servers, data, fixtures } = ctx;
	await servers.product.stop();
	const device = { authorization: `Bearer ${data.downloader.token}` };
	ctx.results.anatomy = await countStorageCalls({
		productConfig: servers.productConfig,
		state: STATE,
		identity: servers.identity,
		requests: [
			{
				label: "GET /api/iot/firmware (full; the device's first request)",
				path: "/api/iot/firmware",
				headers: device,
			},
			{
				label: "GET /api/iot/firmware (64 KiB range)",
				path: "/api/iot/firmware",
				headers: { ...device, range: "bytes=65536-131071" },
			},
			{
				label: "GET /api/iot/firmware (If-None-Match → 304)",
				path: "/api/iot/firmware",
				headers: { ...device, "if-none-match": data.etags.product },
			},
			{
				label: "GET /api/iot/firmware-version",
				path: "/api/iot/firmware-version",
				headers: device,
			},
			{
				label: "POST /api/iot/coredump (64 KiB)",
				path: "/api/iot/coredump?chip=esp32&firmware_version=1.0.0",
				method: "POST",
				headers: { authorization: `Bearer ${data.crashers[0].token}` },
				bodyFile: fixtures.dumps["64 KiB"].file,
			},
			{
				label: "POST …/firmware (a new realistic bundle)",
				path: "/api/pipeline/models/bench_ci/firmware",
				method: "POST",
				headers: { authorization: `Bearer ${data.ci}` },
				bodyFile: fixtures.counted.file,
			},
			{
				label: "GET /api/iot/firmware/{sha256} (image from the bundle)",
				path: `/api/iot/firmware/${fixtures.fallbacks.at(-1).imageSha256}`,
				headers: { authorization: `Bearer ${data.fallbackDevice.token}` },
			},
			espIdfPartialDownload(data.resumer, fixtures.image),
		],
	});
}

/**
 * A whole ESP-IDF partial download by one device that has not been seen yet: the version check,
 * then on the immutable URL the size probe (bytes=0-0) and 64 KiB ranges, the last open-ended.
 */
function espIdfPartialDownload(device, image) {
	const headers = { authorization: `Bearer ${device.token}` };
	const path = `/api/iot/firmware/${image.sha256}`;
	const chunk = 64 * 1024;
	const steps = [
		{ path: "/api/iot/firmware-version", headers },
		{ path, headers: { ...headers, range: "bytes=0-0" } },
	];
	let offset = 0;
	for (; offset + chunk < image.size; offset += chunk) {
		steps.push({ path, headers: { ...headers, range: `bytes=${offset}-${offset + chunk - 1}` } });
	}
	steps.push({ path, headers: { ...headers, range: `bytes=${offset}-` } });
	return {
		label: `ESP-IDF partial download, whole: version check + ${steps.length - 1} requests of /api/iot/firmware/{sha256} (one device, in total)`,
		steps,
	};
}

export const SCENARIOS = {
	full: fullDownload,
	partial: partialDownload,
	revalidation,
	// Before the core dump load: the hundreds of dumps it sends are analysed in the background
	// for minutes after, and the warm re-analyses measure the server's CPU around each one.
	crash: crashAnalysis,
	coredumps,
	uploads,
	fallback,
	profile,
	anatomy,
	inflate,
	runtime: runtimeOnly,
};
