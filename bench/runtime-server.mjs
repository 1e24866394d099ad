// One Worker served by Miniflare itself — the workerd that runs it, no `wrangler dev` in front
// (no proxy workerd, no DevTools session relaying console calls to node). For the bench's
// "runtime only" rows: the nearest this machine comes to what a Cloudflare location runs.
//
//   node bench/runtime-server.mjs --config=<wrangler.toml> --script=<bundled.js> \
//     --persist=<state>/v3 --port=<port> [--vars=<json>]
//
// Console output of the Worker goes to this process's stdout, one line per call.
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const args = Object.fromEntries(
	process.argv.slice(2).map((a) => {
		const at = a.indexOf("=");
		return [a.slice(2, at), a.slice(at + 1)];
	}),
);
const { workerOptions } = unstable_getMiniflareWorkerOptions(args.config);
const vars = args.vars ? JSON.parse(args.vars) : {};
const mf = new Miniflare(
	convertV4MiniflareOptions({
		host: "127.0.0.1",
		port: Number(args.port),
		resourcePersistencePath: args.persist,
		log: new Log(LogLevel.WARN),
		cf: false,
		handleStructuredLogs: ({ message }) => process.stdout.write(`${message}\n`),
		workers: [
			{
				...workerOptions,
				name: "worker",
				modulesRules: undefined,
				modules: modulesOf(resolve(args.script)),
				modulesRoot: dirname(resolve(args.script)),
				bindings: { ...workerOptions.bindings, ...vars },
				cronTriggers: [],
			},
		],
	}),
);
await mf.ready;
process.stdout.write(`ready on ${args.port}\n`);
for (const signal of ["SIGINT", "SIGTERM"]) {
	process.on(signal, () => mf.dispose().finally(() => process.exit(0)));
}

/**
 * The bundle as Miniflare's module list: the entry, then what wrangler wrote beside it (text
 * modules such as the upload scripts), by their extension as wrangler.toml's rules name them.
 */
function modulesOf(script) {
	const dir = dirname(script);
	const modules = [{ type: "ESModule", path: script }];
	for (const name of readdirSync(dir)) {
		if (/\.(sh|ps1|txt|html|sql)$/.test(name))
			modules.push({ type: "Text", path: join(dir, name) });
		else if (name.endsWith(".bin")) modules.push({ type: "Data", path: join(dir, name) });
	}
	return modules;
}
