// Storage calls per request, counted by bench/anatomy-worker.js (ota-edge with counting
// bindings) run on the state the timed run left behind; and removing image objects behind
// the product's back, to make downloads fall back to the bundle.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import { OUT, sleep, startWrangler } from "./servers.mjs";

/**
 * Deletes every app image object (`*.bin`) under `prefix` in the local R2 bucket of the
 * product's state, leaving the bundles; returns how many were removed.
 */
export async function deleteImageObjects(productConfig, state, prefix) {
	// wrangler dev keeps its state under <persist-to>/v3; the platform proxy takes that folder.
	const { env, dispose } = await getPlatformProxy({
		configPath: productConfig,
		persist: { path: join(state, "v3") },
	});
	try {
		const keys = [];
		let cursor;
		do {
			const page = await env.BLOBS.list({ prefix, cursor });
			keys.push(...page.objects.map((o) => o.key).filter((k) => k.endsWith(".bin")));
			cursor = page.truncated ? page.cursor : undefined;
		} while (cursor);
		if (keys.length > 0) await env.BLOBS.delete(keys);
		return keys.length;
	} finally {
		await dispose();
	}
}

/**
 * Starts ota-edge with counting bindings on `state` and sends each request once, in order,
 * waiting for its deferred work; returns `{label, status, counts}` per request. A request with
 * `steps` is a sequence (a whole download): its steps are sent in order and their counts
 * summed, its status lists the distinct statuses.
 */
export async function countStorageCalls({ productConfig, state, identity, requests }) {
	const config = join(OUT, "wrangler.anatomy.toml");
	const toml = readFileSync(productConfig, "utf8").replace(
		/^main = "[^"]+"/m,
		'main = "../anatomy-worker.js"',
	);
	writeFileSync(config, toml);
	const server = await startWrangler({
		name: "anatomy",
		config,
		persistTo: state,
		vars: identity,
		readyPath: "/api/health",
	});
	try {
		await drain(server.url); // the health check itself
		const out = [];
		for (const request of requests) {
			if (request.before) await request.before();
			const steps = request.steps ?? [request];
			const statuses = [];
			let counts = {};
			for (const step of steps) {
				const res = await fetch(`${server.url}${step.path}`, {
					method: step.method ?? "GET",
					headers: step.headers,
					body: step.bodyFile ? readFileSync(step.bodyFile) : undefined,
				});
				await res.arrayBuffer();
				if (!statuses.includes(res.status)) statuses.push(res.status);
				const [entry] = await drain(server.url, 1);
				counts = entry?.counts && counts ? sum(counts, entry.counts) : null;
			}
			out.push({ label: request.label, status: statuses.join("+"), counts });
		}
		return out;
	} finally {
		await server.stop();
	}
}

function sum(a, b) {
	const out = { ...a };
	for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
	return out;
}

/** The finished requests' counts; with `atLeast`, waits (up to 15 s) for that many. */
async function drain(url, atLeast = 0) {
	const deadline = Date.now() + 15_000;
	const seen = [];
	for (;;) {
		const res = await fetch(`${url}/__bench/anatomy`);
		seen.push(...(await res.json()));
		if (seen.length >= atLeast || Date.now() > deadline) return seen;
		await sleep(100);
	}
}
