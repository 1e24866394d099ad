// The device path with `wrangler dev` taken out. Under wrangler dev every request also crosses
// a proxy workerd, and every console call is serialised for a DevTools session and printed by
// node — processes a Cloudflare location does not run. Here ota-edge, the bare Worker and the
// bare Worker writing one log line are each served by Miniflare's workerd alone
// (bench/runtime-server.mjs) on the same state, and measured the same way: the ratios nearest
// to what production would show that this machine can measure. Beside them, ota-edge built
// without its [assets] (the console's files), on a copy of the same state: with static assets,
// every request first passes the assets router Worker, which locally runs in the same workerd
// and is counted in ota-edge's CPU, and which on Cloudflare is the platform's own Worker.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
	const bareConfig = withoutAssets(servers.productConfig);
	const bareScript = bundleWorker(bareConfig, join(OUT, "bundle-no-assets"));
	// The product's state is wrangler dev's: one runtime at a time on it, a copy for the other.
	await servers.product.stop();
	const copy = `${STATE}-no-assets`;
	rmSync(copy, { recursive: true, force: true });
	cpSync(STATE, copy, { recursive: true });
	const productOn = (name, config, bundled, persistTo) =>
		startRuntimeServer({
			name,
			config,
			script: bundled,
			persistTo,
			vars: servers.identity,
			readyPath: "/api/health",
		});
	const [product, noAssets] = await Promise.all([
		productOn("runtime-product", servers.productConfig, script, STATE),
		productOn("runtime-product-no-assets", bareConfig, bareScript, copy),
	]);
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
		await measure(ctx, { product, noAssets, baseline, logged }, data, fixtures);
	} finally {
		await Promise.all([product.stop(), noAssets.stop(), baseline.stop(), logged.stop()]);
	}
}

/** The product's bench config without its [assets] block (the console's static files). */
function withoutAssets(config) {
	const toml = readFileSync(config, "utf8");
	const stripped = toml.replace(/^\[assets\]\n(?:[^[\n].*\n)*/m, "");
	if (stripped === toml) throw new Error(`${config} has no [assets] block to take out`);
	const path = config.replace(/\.toml$/, ".no-assets.toml");
	writeFileSync(path, stripped);
	return path;
}

async function measure(ctx, { product, noAssets, baseline, logged }, data, fixtures) {
	const { image } = fixtures;
	for (const server of [baseline, logged]) {
		const put = await curlPut(`${server.url}/object/firmware.bin`, image.file);
		must(put.status === 201, `the ${server.name} put answered ${put.status}`);
	}
	const paths = { latest: "/api/iot/firmware", bySha: `/api/iot/firmware/${image.sha256}` };
	const urls = {
		product: `${product.url}${paths.latest}`,
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
	await checkServes(
		"ota-edge without assets (runtime only)",
		`${noAssets.url}${paths.bySha}`,
		{ authorization: `Bearer ${data.downloader.token}` },
		image,
		data.etags.product,
	);
	await checkServes("baseline (runtime only)", urls.baseline, {}, image, baselineEtag);

	const targets = (path, productOptions, baselineOptions) => [
		{
			name: "ota-edge",
			url: `${product.url}${path}`,
			options: [auth, ...productOptions],
			cpuRoot: product.pid,
			oneWorkerd: true,
		},
		{
			name: "ota-edge, no assets",
			url: `${noAssets.url}${path}`,
			options: [auth, ...productOptions],
			cpuRoot: noAssets.pid,
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
		["Full download, 2 MiB", targets(paths.latest, [], []), 0.9],
		["Partial download, 64 KiB ranges", targets(paths.bySha, ranges, ranges), 0.9],
		[
			"Revalidation, If-None-Match → 304",
			targets(
				paths.latest,
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
		addLoadRows(
			ctx.results,
			`${label}, ${SUFFIX}, ota-edge without the assets router`,
			{ ...measured, "ota-edge": measured["ota-edge, no assets"] },
			goal,
			{ cpuOfLogged: false },
		);
	}
}
