// The Worker the load run (bench/load.mjs) talks to: `wrangler dev` on a free loopback port,
// with fresh local D1/R2 state under bench/out/load/state, trusting only the local identity
// (scripts/local-identity.mjs). It runs in its own process group, so stopping it stops workerd.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localJwks } from "../scripts/local-identity.mjs";

export const ROOT = new URL("../", import.meta.url).pathname;
export const OUT = `${ROOT}bench/out/load/`;
const WRANGLER = `${ROOT}node_modules/wrangler/bin/wrangler.js`;
const LOG = `${OUT}wrangler.log`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The last lines wrangler printed, for failure messages. */
export const wranglerLog = () => readFileSync(LOG, "utf8").split("\n").slice(-40).join("\n");

function freePort() {
	return new Promise((resolve) => {
		const server = createServer();
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** Starts the Worker; resolves with { base, pgid, stop } once /api/health answers 200. */
export async function startWorker() {
	const state = `${OUT}state`;
	rmSync(state, { recursive: true, force: true });
	mkdirSync(OUT, { recursive: true });
	// An empty env file: a developer's .dev.vars never changes what is measured.
	writeFileSync(`${OUT}empty.env`, "");
	const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
	const migrate = spawnSync(
		process.execPath,
		[WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
		{ cwd: ROOT, env, encoding: "utf8" },
	);
	if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stderr}`);

	const [port, inspectorPort] = [await freePort(), await freePort()];
	const vars = {
		OIDC_ISSUER: LOCAL_ISSUER,
		OIDC_AUDIENCE: LOCAL_AUDIENCE,
		OIDC_JWKS: await localJwks(),
		OIDC_JWKS_URL: "",
		OIDC_TOKEN_URL: "",
		PUBLIC_BASE_URL: "",
		MQTT_URL: "",
	};
	const argv = [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port)];
	argv.push("--inspector-port", String(inspectorPort), "--persist-to", state);
	argv.push("--env-file", `${OUT}empty.env`, "--show-interactive-dev-session=false");
	for (const [name, value] of Object.entries(vars)) argv.push("--var", `${name}:${value}`);
	const log = openSync(LOG, "w");
	const child = spawn(process.execPath, argv, {
		cwd: ROOT,
		env,
		detached: true,
		stdio: ["ignore", log, log],
	});

	const stop = async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise((r) => child.once("exit", r));
		const signal = (name) => {
			try {
				process.kill(-child.pid, name);
			} catch {
				// The group is gone.
			}
		};
		signal("SIGTERM");
		await Promise.race([exited, sleep(10_000)]);
		signal("SIGKILL");
	};
	const base = `http://127.0.0.1:${port}`;
	for (let i = 0; i < 480 && child.exitCode === null; i++) {
		try {
			if ((await fetch(`${base}/api/health`)).status === 200)
				return { base, pgid: child.pid, stop };
		} catch {
			// Not listening yet.
		}
		await sleep(250);
	}
	await stop();
	throw new Error(`wrangler dev did not become healthy:\n${wranglerLog()}`);
}
