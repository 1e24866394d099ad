// The device path with `wrangler dev` taken out. Under wrangler dev every request also crosses
// a proxy workerd, and every console call is serialised for a DevTools session and printed by
// node — processes a Cloudflare location does not run. Here ota-edge, the bare Worker and the
// bare Worker writing one log line are each served by Miniflare's workerd alone
// (bench/runtime-server.mjs) on the same state, and measured the same way: the ratios nearest
// to what production would show that this machine can measure.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { alternate } from "./load.mjs";
import { curlPut } from "./product.mjs";
import { addLoadRows } from "./rows.mjs";
import { bundleWorker, OUT, ROOT, startRuntimeServer } from "./servers.mjs";
import { checkServes, must, STATE } from "./setup.mjs";

const SUFFIX = "runtime only (no wrangler dev)";

export async function runtimeOnly(ctx) {
	const { servers, data, fixtures } = ctx;
	ctx.log(`${SUFFIX}: bundling ota-edge as wrangler deploy would`);
	const script = bundleWorker(servers.productConfig, join(OUT, "bundle"));
	// The product's state is wrangler dev's: one runtime at a time on it.
	await servers.product.stop();
	const product = await startRuntimeServer({
		name: "runtime-product",
		config: servers.productConfig,
		script,
		persistTo: STATE,
		vars: servers.identity,
		readyPath: "/api/health",
	});
	const bare = (name, vars = {}) => {
		const persistTo = join(OUT, `${name}-state`);
		rmSync(persistTo, { recursive: true, force: true });
		return startRuntimeServer({
			name,
			config: join(ROOT, "bench/wrangler.baseline.toml"),
			script: join(ROOT, "bench/baseline-worker.js"),
			persistTo,
			vars,
			readyPath: "/object/none",
			readyAnyStatus: true,
		});
	};
	const [baseline, logged] = await Promise.all([
		bare("runtime-baseline"),
		bare("runtime-baseline-logging", { LOG_EACH_REQUEST: "1" }),
	]);
	try {
		await measure(ctx, { product, baseline, logged }, data, fixtures);
	} finally {
		await Promise.all([product.stop(), baseline.stop(), logged.stop()]);
	}
}

async function measure(ctx, { product, baseline, logged }, data, fixtures) {
	const { image } = fixtures;
	for (const server of [baseline, logged]) {
		const put = await curlPut(`${server.url}/object/firmware.bin`, image.file);
		must(put.status === 201, `the ${server.name} put answered ${put.status}`);
	}
	const urls = {
		product: `${product.url}/api/iot/firmware`,
		bySha: `${product.url}/api/iot/firmware/${image.sha256}`,
		baseline: `${baseline.url}/object/firmware.bin`,
		logged: `${logged.url}/object/firmware.bin`,
	};
	const auth = `header=Authorization: Bearer ${data.downloader.token}`;
	const baselineEtag = (await fetch(urls.baseline, { method: "HEAD" })).headers.get("etag");
	await checkServes(
		"ota-edge (runtime only)",
		urls.product,
		{ authorization: `Bearer ${data.downloader.token}` },
		image,
		data.etags.product,
	);
	await checkServes("baseline (runtime only)", urls.baseline, {}, image, baselineEtag);

	const targets = (productUrl, productOptions, baselineOptions) => [
		{
			name: "ota-edge",
			url: productUrl,
			options: [auth, ...productOptions],
			cpuRoot: product.pid,
			oneWorkerd: true,
		},
		{
			name: "baseline",
			url: urls.baseline,
			options: baselineOptions,
			cpuRoot: baseline.pid,
			oneWorkerd: true,
		},
		{
			name: "baseline + log",
			url: urls.logged,
			options: baselineOptions,
			cpuRoot: logged.pid,
			oneWorkerd: true,
		},
	];
	const onRun = (name, round, r) =>
		ctx.log(
			`  ${name.padEnd(17)} ${round + 1}: ${r.rps.toFixed(1)} req/s, ${(r.cpuMs / r.requests).toFixed(2)} CPU ms/req`,
		);
	const ranges = ["ranges=2097152:65536"];
	const runs = [
		["Full download, 2 MiB", targets(urls.product, [], []), 0.9],
		["Partial download, 64 KiB ranges", targets(urls.bySha, ranges, ranges), 0.9],
		[
			"Revalidation, If-None-Match → 304",
			targets(
				urls.product,
				[`header=If-None-Match: ${data.etags.product}`],
				[`header=If-None-Match: ${baselineEtag}`],
			),
			0.8,
		],
	];
	for (const [label, list, goal] of runs) {
		ctx.log(`${label}, ${SUFFIX}`);
		const measured = await alternate(list, { ...ctx.load, onRun });
		addLoadRows(ctx.results, `${label}, ${SUFFIX}`, measured, goal);
	}
}
