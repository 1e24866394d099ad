/*
 * Runs the real Worker under `wrangler dev` for end-to-end tests, on a free loopback port with
 * its own local D1/R2 state, trusting one test signing key.
 *
 * The global setup (global-setup.ts) starts one Worker for the whole e2e project and hands its
 * URL and key to the tests: `inject("e2eBaseUrl")`, and tokens from `adminToken()` and
 * `pipelineToken()` below. Vars for that Worker: OTA_E2E_MQTT_URL (becomes MQTT_URL) and
 * OTA_E2E_VARS (a JSON object of var → value) in the environment of vitest. A test that needs a
 * Worker configured its own way calls `startWorker({ vars })` in beforeAll and `stop()` after.
 */
import { importJWK, type JWTPayload, SignJWT } from "jose";
import { inject } from "vitest";
import { type ChildProcess, childProcess, fs, net, nodeProcess, os } from "./node-builtins";

export const E2E_ISSUER = "https://id.e2e.example";
export const E2E_AUDIENCE = "ota-edge";
export const E2E_KID = "test-key-1";

declare module "vitest" {
	export interface ProvidedContext {
		/** Origin of the Worker the global setup started, e.g. `http://127.0.0.1:40123`. */
		e2eBaseUrl: string;
		/** The private JWK (JSON) whose public half that Worker trusts. */
		e2eSigningJwk: string;
		/** The client-credentials token endpoint named by that Worker's OIDC_TOKEN_URL. */
		e2eTokenUrl: string;
		e2eClientId: string;
		e2eClientSecret: string;
	}
}

const ROOT = new URL("../..", (import.meta as ImportMeta & { url: string }).url).pathname.replace(
	/\/$/,
	"",
);
const WRANGLER = `${ROOT}/node_modules/wrangler/bin/wrangler.js`;
const HOST = "127.0.0.1";
const START_ATTEMPTS = 480; // × 250 ms: a cold wrangler build on a busy machine takes a while

export interface WorkerOptions {
	/** The public JWK the Worker trusts (OIDC_JWKS); default: that of `inject("e2eSigningJwk")`. */
	publicJwk?: Record<string, unknown>;
	/** Vars on top of the defaults (issuer, audience, keys; every URL var empty). */
	vars?: Record<string, string>;
}

export interface RunningWorker {
	baseUrl: string;
	/** What wrangler printed so far, for failure messages. */
	output(): string;
	stop(): Promise<void>;
}

/** Applies the migrations to fresh local state and serves the Worker until `stop()`. */
export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
	const publicJwk = options.publicJwk ?? publicJwkOf(inject("e2eSigningJwk"));
	const vars: Record<string, string> = {
		OIDC_ISSUER: E2E_ISSUER,
		OIDC_AUDIENCE: E2E_AUDIENCE,
		OIDC_JWKS: JSON.stringify({ keys: [publicJwk] }),
		OIDC_JWKS_URL: "",
		OIDC_TOKEN_URL: "",
		PUBLIC_BASE_URL: "",
		MQTT_URL: "",
		...options.vars,
	};
	const state = fs.mkdtempSync(`${os.tmpdir()}/ota-edge-e2e-`);
	// An empty env file: a developer's .dev.vars never leaks into the tests.
	fs.writeFileSync(`${state}/empty.env`, "");
	try {
		await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", `${state}/persist`]);
		const [port, inspectorPort] = [await freePort(), await freePort()];
		const args = ["dev", "--ip", HOST, "--port", String(port)];
		args.push("--inspector-port", String(inspectorPort), "--persist-to", `${state}/persist`);
		args.push("--env-file", `${state}/empty.env`, "--show-interactive-dev-session=false");
		for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
		const child = spawnWrangler(args);
		const worker = {
			baseUrl: `http://${HOST}:${port}`,
			output: () => child.output(),
			stop: async () => {
				await stopGroup(child.process);
				fs.rmSync(state, { recursive: true, force: true });
			},
		};
		await waitUntilHealthy(worker.baseUrl, child).catch(async (err) => {
			await worker.stop();
			throw err;
		});
		return worker;
	} catch (err) {
		fs.rmSync(state, { recursive: true, force: true });
		throw err;
	}
}

/** Vars for the shared Worker from vitest's environment (see the top of this file). */
export function varsFromEnvironment(): Record<string, string> {
	const vars: Record<string, string> = {};
	const json = nodeProcess.env.OTA_E2E_VARS;
	if (json) Object.assign(vars, JSON.parse(json) as Record<string, string>);
	const mqttUrl = nodeProcess.env.OTA_E2E_MQTT_URL;
	if (mqttUrl) vars.MQTT_URL = mqttUrl;
	return vars;
}

/** The public half of a private JWK given as JSON. */
export function publicJwkOf(privateJwkJson: string): Record<string, unknown> {
	const { d: _private, ...publicJwk } = JSON.parse(privateJwkJson) as Record<string, unknown>;
	return { ...publicJwk, use: "sig" };
}

/** A token the e2e Worker trusts: issuer, audience and key as the global setup configured. */
export async function signToken(
	claims: JWTPayload,
	privateJwkJson: string = inject("e2eSigningJwk"),
): Promise<string> {
	const key = await importJWK(JSON.parse(privateJwkJson), "ES256");
	return new SignJWT({ sub: "e2e", ...claims })
		.setProtectedHeader({ alg: "ES256", kid: E2E_KID })
		.setIssuer(E2E_ISSUER)
		.setAudience(E2E_AUDIENCE)
		.setIssuedAt()
		.setExpirationTime("10m")
		.sign(key);
}

export const adminToken = () => signToken({ realm_access: { roles: ["admin"] } });
export const pipelineToken = () => signToken({ roles: ["pipeline"] });

interface WranglerProcess {
	process: ChildProcess;
	output(): string;
}

function spawnWrangler(args: string[]): WranglerProcess {
	// Its own process group, so that stopping it also stops workerd.
	const child = childProcess.spawn(nodeProcess.execPath, [WRANGLER, ...args], {
		cwd: ROOT,
		env: { ...nodeProcess.env, CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
		detached: true,
		stdio: ["ignore", "pipe", "pipe"],
	});
	let output = "";
	const collect = (chunk: Uint8Array) => {
		output = (output + new TextDecoder().decode(chunk)).slice(-64 * 1024);
	};
	child.stdout?.on("data", collect);
	child.stderr?.on("data", collect);
	return { process: child, output: () => output };
}

async function run(args: string[]): Promise<void> {
	const child = spawnWrangler(args);
	const [code] = await new Promise<[number | null, string | null]>((done) =>
		child.process.once("exit", (c, s) => done([c, s])),
	);
	if (code !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${child.output()}`);
}

async function waitUntilHealthy(baseUrl: string, child: WranglerProcess): Promise<void> {
	let last = "no answer";
	for (let i = 0; i < START_ATTEMPTS; i++) {
		if (child.process.exitCode !== null || child.process.signalCode !== null) {
			throw new Error(`wrangler dev exited before serving:\n${child.output()}`);
		}
		try {
			const res = await fetch(`${baseUrl}/api/health`);
			if (res.status === 200) return;
			last = `HTTP ${res.status}: ${await res.text()}`;
		} catch (err) {
			last = String(err);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`wrangler dev never became healthy (${last}):\n${child.output()}`);
}

async function stopGroup(child: ChildProcess): Promise<void> {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((done) => child.once("exit", () => done()));
	const signal = (name: string) => {
		try {
			nodeProcess.kill(-(child.pid as number), name);
		} catch {
			// The group is already gone.
		}
	};
	signal("SIGTERM");
	const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000));
	if ((await Promise.race([exited, timeout])) === "timeout") {
		signal("SIGKILL");
		await exited;
	}
	// Whatever of the group outlived wrangler (workerd) goes too.
	signal("SIGKILL");
}

function freePort(): Promise<number> {
	const server = net.createServer();
	return new Promise((resolve) =>
		server.listen(0, HOST, () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		}),
	);
}
