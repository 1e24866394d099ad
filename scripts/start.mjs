// `npm start`: the Worker on http://127.0.0.1:8787 with local D1 and R2 under .wrangler/state,
// migrations applied first, trusting only the locally generated key (see local-identity.mjs),
// and the local OpenID provider on 127.0.0.1:8786 for the console's sign-in (local-idp.mjs).
import { spawn, spawnSync } from "node:child_process";
import {
	LOCAL_AUDIENCE,
	LOCAL_CONSOLE_CLIENT_ID,
	LOCAL_IDP_PORT,
	LOCAL_ISSUER,
	localJwks,
	localKey,
} from "./local-identity.mjs";
import { startLocalIdp } from "./local-idp.mjs";

const port = process.env.PORT ?? "8787";
const wrangler = process.platform === "win32" ? "wrangler.cmd" : "wrangler";

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
	stdio: "inherit",
	env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const idp = await startLocalIdp({
	port: LOCAL_IDP_PORT,
	signingJwk: await localKey(),
	clientId: LOCAL_CONSOLE_CLIENT_ID,
	audience: LOCAL_AUDIENCE,
}).catch((err) => {
	console.error(
		`The local sign-in provider cannot listen on 127.0.0.1:${LOCAL_IDP_PORT} (${err.code ?? err}). Another npm start? Choose a port with IDP_PORT=… npm start.`,
	);
	process.exit(1);
});
if (idp.issuer !== LOCAL_ISSUER)
	throw new Error(`local provider at ${idp.issuer}, not ${LOCAL_ISSUER}`);

const vars = {
	OIDC_ISSUER: LOCAL_ISSUER,
	OIDC_AUDIENCE: LOCAL_AUDIENCE,
	OIDC_JWKS: await localJwks(),
	OIDC_JWKS_URL: "",
	OIDC_CONSOLE_CLIENT_ID: LOCAL_CONSOLE_CLIENT_ID,
};
const args = ["dev", "--ip", "127.0.0.1", "--port", port];
for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
args.push(...process.argv.slice(2));

const dev = spawn(wrangler, args, {
	stdio: "inherit",
	env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", async (code, signal) => {
	await idp.stop();
	process.exit(code ?? (signal ? 1 : 0));
});

// Say where the console is once the Worker answers (wrangler prints its own lines before).
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 600 && dev.exitCode === null; i++) {
	const healthy = await fetch(`${base}/api/health`).then(
		(r) => r.ok,
		() => false,
	);
	if (healthy) {
		console.log(`\n  ota-edge console: ${base}/  (sign-in: local provider at ${LOCAL_ISSUER})\n`);
		break;
	}
	await new Promise((r) => setTimeout(r, 500));
}
