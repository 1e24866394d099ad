// `npm start`: the Worker on http://127.0.0.1:8787 with local D1 and R2 under .wrangler/state,
// migrations applied first, trusting only the locally generated key (see local-identity.mjs).
import { spawn, spawnSync } from "node:child_process";
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localJwks } from "./local-identity.mjs";

const port = process.env.PORT ?? "8787";
const wrangler = process.platform === "win32" ? "wrangler.cmd" : "wrangler";

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
	stdio: "inherit",
	env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const vars = {
	OIDC_ISSUER: LOCAL_ISSUER,
	OIDC_AUDIENCE: LOCAL_AUDIENCE,
	OIDC_JWKS: await localJwks(),
	OIDC_JWKS_URL: "",
};
const args = ["dev", "--ip", "127.0.0.1", "--port", port];
for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
args.push(...process.argv.slice(2));

const dev = spawn(wrangler, args, {
	stdio: "inherit",
	env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
