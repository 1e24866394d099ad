// `npm run bench:variants -- [--runtime] <scenario> [rounds] [variant…]`: what one part of
// ota-edge costs, measured as ota-edge with that part taken out, side by side with ota-edge as
// it is and the bare baseline Worker (plain and with one log line), all under `wrangler dev`
// (with --runtime: each served by Miniflare's workerd alone, bench/runtime-server.mjs),
// alternated.
// Not part of `npm run bench`: it answers "what is left" questions for bench/RESULTS.md.
//
//   scenarios: ranges (64 KiB ranges of /api/iot/firmware/{sha256}, as ESP-IDF resumes),
//              full (2 MiB), revalidation (If-None-Match → 304)
//   variants:  as-is, no-log-line (the request's JSON log line not written),
//              no-metrics (no Analytics Engine data point),
//              no-assets (no static assets, so no assets router in front of the Worker),
//              no-image-cache (every byte from R2, no Cache API)
//
// Each variant is the committed tree (git archive HEAD) with one change, under
// bench/out/variants/<name>; the output is CPU ms per request by process, as in the bench.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localJwks } from "../scripts/local-identity.mjs";
import { appImage } from "./lib/fixtures.mjs";
import { alternate } from "./lib/load.mjs";
import { preflight } from "./lib/preflight.mjs";
import { Api, adminToken, curlPut, curlUpload, pipelineToken } from "./lib/product.mjs";
import {
	applyMigrations,
	bundleWorker,
	OUT,
	ROOT,
	startRuntimeServer,
	startWrangler,
	stopAll,
} from "./lib/servers.mjs";

/** One change per variant: [file, text to find, replacement]. */
const PATCHES = {
	"as-is": [],
	"no-log-line": [
		["src/http/request-log.ts", "\tconsole.log(\n", "\tif (facts === undefined) console.log(\n"],
	],
	"no-metrics": [
		[
			"src/http/request-log.ts",
			"\tif (facts.operation) {\n",
			"\tif (facts.operation && facts === undefined) {\n",
		],
	],
	"no-assets": [
		[
			"wrangler.toml",
			'[assets]\ndirectory = "./dist/console"\nrun_worker_first = ["/*", "!/assets/*"]\n',
			"",
		],
	],
	"no-image-cache": [
		[
			"src/storage/image-cache.ts",
			'return typeof caches === "undefined" ? null : caches.default;',
			"return null;",
		],
	],
};
const SCENARIOS = {
	ranges: { product: ["ranges=2097152:65536"], baseline: ["ranges=2097152:65536"], bySha: true },
	full: { product: [], baseline: [], bySha: false },
	revalidation: {
		product: ["header=If-None-Match: ETAG"],
		baseline: ["header=If-None-Match: ETAG"],
	},
};

const runtime = process.argv.includes("--runtime");
const [scenarioName = "ranges", roundsArg = "3", ...chosen] = process.argv
	.slice(2)
	.filter((a) => a !== "--runtime");
const scenario = SCENARIOS[scenarioName];
const names = chosen.length ? chosen : ["as-is", "no-log-line"];
if (!scenario || names.some((n) => !(n in PATCHES))) {
	console.error(
		`usage: variants.mjs [--runtime] <${Object.keys(SCENARIOS).join("|")}> [rounds] [${Object.keys(PATCHES).join("|")}…]`,
	);
	process.exit(2);
}
preflight();
const DIR = join(OUT, "variants");

function makeTree(name) {
	const dir = join(DIR, name);
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	execFileSync("sh", ["-c", `git -C "${ROOT}" archive HEAD | tar -x -C "${dir}"`]);
	symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
	for (const [file, find, replace] of PATCHES[name]) {
		const path = join(dir, file);
		const text = readFileSync(path, "utf8");
		if (!text.includes(find)) throw new Error(`variant ${name}: ${file} has no "${find.trim()}"`);
		writeFileSync(path, text.replace(find, replace));
	}
	return dir;
}

const image = appImage({ version: "1.0.0", size: 2 * 1024 * 1024, seed: 1 });
const identity = {
	OIDC_ISSUER: LOCAL_ISSUER,
	OIDC_AUDIENCE: LOCAL_AUDIENCE,
	OIDC_JWKS: await localJwks(),
	OIDC_JWKS_URL: "",
};

async function startVariant(name) {
	const dir = makeTree(name);
	const config = join(dir, "wrangler.toml");
	const state = join(dir, ".state");
	applyMigrations(config, state);
	const options = {
		name: `variant-${name}`,
		config,
		persistTo: state,
		vars: identity,
		readyPath: "/api/health",
		cwd: dir,
	};
	const server = runtime
		? await startRuntimeServer({
				...options,
				script: bundleWorker(config, join(dir, ".bundle"), dir),
			})
		: await startWrangler(options);
	const api = new Api(server.url, await adminToken());
	await api.createModel("bench_ota", "Downloads");
	const device = await api.createDevice("bench_ota");
	const url = `${server.url}/api/pipeline/models/bench_ota/firmware`;
	const stored = await curlUpload(url, image.file, await pipelineToken());
	if (stored.status !== 200) throw new Error(`${name}: upload answered ${stored.status}`);
	return { name, server, device };
}

async function startBaseline(name, vars) {
	const options = {
		name,
		config: join(ROOT, "bench/wrangler.baseline.toml"),
		persistTo: join(DIR, `${name}-state`),
		vars,
		readyPath: "/object/none",
		readyAnyStatus: true,
	};
	const server = runtime
		? await startRuntimeServer({ ...options, script: join(ROOT, "bench/baseline-worker.js") })
		: await startWrangler(options);
	await curlPut(`${server.url}/object/firmware.bin`, image.file);
	return server;
}

async function main() {
	const variants = [];
	for (const name of names) variants.push(await startVariant(name));
	const bare = await startBaseline("variant-bare", {});
	const logged = await startBaseline("variant-bare-log", { LOG_EACH_REQUEST: "1" });
	const bareUrl = (s) => `${s.url}/object/firmware.bin`;
	const etag = (await fetch(bareUrl(bare), { method: "HEAD" })).headers.get("etag");
	const withEtag = (options, tag) => options.map((o) => o.replace("ETAG", tag));
	const path = scenario.bySha ? `/api/iot/firmware/${image.sha256}` : "/api/iot/firmware";
	const targets = [
		...variants.map((v) => ({
			name: v.name,
			url: `${v.server.url}${path}`,
			options: [
				`header=Authorization: Bearer ${v.device.token}`,
				...withEtag(scenario.product, `"${image.sha256}"`),
			],
			cpuRoot: v.server.pid,
			oneWorkerd: runtime,
		})),
		...[
			["bare", bare],
			["bare + log line", logged],
		].map(([name, s]) => ({
			name,
			url: bareUrl(s),
			options: withEtag(scenario.baseline, etag),
			cpuRoot: s.pid,
			oneWorkerd: runtime,
		})),
	];
	await alternate(targets, { rounds: 1, seconds: 2 }); // warm-up
	const measured = await alternate(targets, { rounds: Number(roundsArg), seconds: 6 });
	console.log(`${scenarioName}, ${roundsArg} rounds of 6 s; CPU ms per request by process`);
	for (const [name, m] of Object.entries(measured)) {
		const r = m.cpuMsPerRequestByRole;
		console.log(
			`${name.padEnd(16)} ${m.rps.toFixed(1).padStart(6)} req/s  total ${m.cpuMsPerRequest.toFixed(2)}  runtime ${r.runtime.toFixed(2)}  proxy ${r.proxy.toFixed(2)}  wrangler ${r.wrangler.toFixed(2)}${m.errors ? `  ${m.errors} errors` : ""}`,
		);
	}
}

main().then(
	() => stopAll().then(() => process.exit(0)),
	(err) => {
		console.error(err.stack ?? err);
		return stopAll().then(() => process.exit(1));
	},
);
