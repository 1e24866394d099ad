// Everything a run needs before the first measurement: fixtures, the servers, the product's
// models and devices, the same image in each, and a check that each serves it.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localJwks } from "../../scripts/local-identity.mjs";
import { sha256Hex } from "./firmware.mjs";
import { appImage, bundle, coredump } from "./fixtures.mjs";
import { Api, adminToken, curlPut, curlUpload, pipelineToken, timedGet } from "./product.mjs";
import {
	applyMigrations,
	OUT,
	ROOT,
	startNginx,
	startWrangler,
	writeProductConfig,
} from "./servers.mjs";

const MiB = 1024 * 1024;
export const STATE = join(OUT, "state");
/** The bundle CI uploads for a typical ESP32 app: 1.5 MiB image, 20 MiB ELF, 4 MiB map. */
export const REALISTIC = {
	code: "bench_ci",
	imageSize: 1.5 * MiB,
	elfSize: 20 * MiB,
	mapSize: 4 * MiB,
};
const CRASHING_DEVICES = 32;

/** The files, made once and kept in bench/out/fixtures. */
export function makeFixtures() {
	return {
		image: appImage({ version: "1.0.0", size: 2 * MiB, seed: 1 }),
		dumps: { "64 KiB": coredump(64 * 1024), "1 MiB": coredump(MiB) },
		realistic: [0, 1, 2].map((i) => bundle({ ...REALISTIC, version: `2.0.${i}`, seed: 10 + i })),
		// A new realistic version, uploaded once while storage calls are counted.
		counted: bundle({ ...REALISTIC, version: "2.0.9", seed: 19 }),
		// Close to the 100 MiB request limit: 2 MiB image, 128 MiB ELF and 8 MiB map, deflated.
		big: [0, 1].map((i) =>
			bundle({
				code: "bench_ci",
				version: `3.0.${i}`,
				imageSize: 2 * MiB,
				elfSize: 128 * MiB,
				mapSize: 8 * MiB,
				seed: 30 + i,
				level: 1,
			}),
		),
		// Five are timed; the sixth stays missing for the storage-call count at the end.
		fallbacks: [0, 1, 2, 3, 4, 5].map((i) =>
			bundle({
				code: "bench_fallback",
				version: `4.0.${i}`,
				imageSize: 2 * MiB,
				elfSize: MiB,
				mapSize: 256 * 1024,
				seed: 40 + i,
			}),
		),
	};
}

/** Starts the servers on fresh state and loads them; returns what the scenarios need. */
export async function startServers(fixtures, tools, log) {
	rmSync(STATE, { recursive: true, force: true });
	rmSync(join(OUT, "baseline-state"), { recursive: true, force: true });
	rmSync(join(OUT, "baseline-logging-state"), { recursive: true, force: true });
	const www = join(OUT, "www");
	rmSync(www, { recursive: true, force: true });
	mkdirSync(www, { recursive: true });
	copyFileSync(fixtures.image.file, join(www, "firmware.bin"));

	const productConfig = writeProductConfig(1_000_000);
	applyMigrations(productConfig, STATE);
	const identity = {
		OIDC_ISSUER: LOCAL_ISSUER,
		OIDC_AUDIENCE: LOCAL_AUDIENCE,
		OIDC_JWKS: await localJwks(),
		OIDC_JWKS_URL: "",
	};
	const baselineWorker = (name, vars = {}) =>
		startWrangler({
			name,
			config: join(ROOT, "bench/wrangler.baseline.toml"),
			persistTo: join(OUT, `${name}-state`),
			vars,
			readyPath: "/object/none",
			readyAnyStatus: true,
		});
	const [product, baseline, baselineLogging, nginx] = await Promise.all([
		startProduct(productConfig, identity),
		baselineWorker("baseline"),
		// The same baseline writing one log line per request, to price that line.
		baselineWorker("baseline-logging", { LOG_EACH_REQUEST: "1" }),
		startNginx(www, tools.nginx),
	]);
	log(`ota-edge ${product.url}, baseline ${baseline.url}, nginx ${nginx.url}`);
	return { product, baseline, baselineLogging, nginx, productConfig, identity };
}

/** ota-edge under wrangler dev on the bench's state (a fresh isolate each time). */
export function startProduct(productConfig, identity) {
	return startWrangler({
		name: "product",
		config: productConfig,
		persistTo: STATE,
		vars: identity,
		readyPath: "/api/health",
	});
}

/** ota-edge started again on the same state: a fresh isolate, nothing in its memory. */
export async function restartProduct(ctx) {
	const { servers, data } = ctx;
	await servers.product.stop();
	servers.product = await startProduct(servers.productConfig, servers.identity);
	data.urls.product = `${servers.product.url}/api/iot/firmware`;
	data.urls.productBySha = `${servers.product.url}/api/iot/firmware/${ctx.fixtures.image.sha256}`;
}

/** Models, devices and tokens in the product; the image in every server. */
export async function loadData({ product, baseline, baselineLogging, nginx }, fixtures) {
	const api = new Api(product.url, await adminToken());
	const ci = await pipelineToken();
	for (const [code, name] of [
		["bench_ota", "Downloads"],
		["bench_ci", "Uploads"],
		["bench_fallback", "Bundle fallback"],
		["bench_crash", "Core dumps"],
	]) {
		await api.createModel(code, name);
	}
	const downloader = await api.createDevice("bench_ota");
	// Counted once, on its own, for a whole ESP-IDF partial download (the anatomy table).
	const resumer = await api.createDevice("bench_ota");
	const fallbackDevice = await api.createDevice("bench_fallback");
	const crashers = [];
	for (let i = 0; i < CRASHING_DEVICES; i++) crashers.push(await api.createDevice("bench_crash"));
	const crasherTokens = join(OUT, "coredump-tokens.txt");
	writeFileSync(crasherTokens, `${crashers.map((d) => d.token).join("\n")}\n`);

	const { image } = fixtures;
	const stored = await curlUpload(
		`${product.url}/api/pipeline/models/bench_ota/firmware`,
		image.file,
		ci,
	);
	must(stored.status === 200, `the image upload answered ${stored.status}: ${stored.body}`);
	for (const server of [baseline, baselineLogging]) {
		const put = await curlPut(`${server.url}/object/firmware.bin`, image.file);
		must(put.status === 201, `the ${server.name} put answered ${put.status}`);
	}

	const urls = {
		product: `${product.url}/api/iot/firmware`,
		productBySha: `${product.url}/api/iot/firmware/${image.sha256}`,
		baseline: `${baseline.url}/object/firmware.bin`,
		nginx: `${nginx.url}/firmware.bin`,
		baselineLogging: `${baselineLogging.url}/object/firmware.bin`,
	};
	const etags = {
		product: `"${image.sha256}"`,
		baseline: (await fetch(urls.baseline, { method: "HEAD" })).headers.get("etag"),
		nginx: (await fetch(urls.nginx, { method: "HEAD" })).headers.get("etag"),
	};
	const deviceAuth = { authorization: `Bearer ${downloader.token}` };
	await checkServes("ota-edge", urls.product, deviceAuth, image, etags.product);
	await checkServes("ota-edge by hash", urls.productBySha, deviceAuth, image, etags.product);
	await checkServes("baseline", urls.baseline, {}, image, etags.baseline);
	await checkServes("nginx", urls.nginx, {}, image, etags.nginx);
	return { ci, downloader, resumer, fallbackDevice, crashers, crasherTokens, urls, etags };
}

/** Each server must serve the same bytes, one range and a 304 before it is measured. */
export async function checkServes(name, url, headers, image, etag) {
	const full = await timedGet(url, headers);
	must(
		full.status === 200 && sha256Hex(full.body) === image.sha256,
		`${name}: GET answered ${full.status} with other bytes`,
	);
	const part = await timedGet(url, { ...headers, range: "bytes=65536-131071" });
	must(
		part.status === 206 && part.body.length === 65536,
		`${name}: a 64 KiB range answered ${part.status}`,
	);
	const revalidated = await timedGet(url, { ...headers, "if-none-match": etag });
	must(revalidated.status === 304, `${name}: If-None-Match answered ${revalidated.status}`);
}

export function must(ok, message) {
	if (!ok) throw new Error(message);
}
