// `npm run bench`: ota-edge against what a user would run instead, measured in one run on one
// machine and printed as one table of ratios. bench/RESULTS.md explains it and holds a run.
//
//   npm run bench                          everything (11 minutes on 2 cores)
//   npm run bench -- --quick               3 s load runs, one round: to try the bench itself
//   npm run bench -- --only=full,partial   some scenarios: full, partial, revalidation,
//                                          crash, coredumps, uploads, fallback, profile,
//                                          anatomy, inflate, runtime (the device path
//                                          without wrangler dev)
//   npm run bench -- --only=crash          crash analysis alone: ELF index build, first and
//                                          warm decodes of the real dumps (about 1½ minutes)
//   npm run bench -- --rounds=4            more rounds of every load run (default 2): on a
//                                          machine other jobs share, more alternations
//
// Servers: ota-edge under `wrangler dev` (fresh state in bench/out/state, trusting the local
// signing key of scripts/local-identity.mjs), the baseline Worker (bench/baseline-worker.js)
// and nginx serving the same image from disk. Load is wrk, 4 keep-alive connections, at most
// 20 s a run, loopback only, the targets alternating A B C / C B A so drift falls on all.
// Needs wrk, nginx and curl (bench/lib/preflight.mjs says how to get them).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { preflight } from "./lib/preflight.mjs";
import { machine, renderMarkdown, renderTable } from "./lib/report.mjs";
import { SCENARIOS, warmUp } from "./lib/scenarios.mjs";
import { OUT, stopAll } from "./lib/servers.mjs";
import { loadData, makeFixtures, startServers } from "./lib/setup.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args
	.find((a) => a.startsWith("--only="))
	?.slice("--only=".length)
	.split(",");
const roundsArg = args.find((a) => a.startsWith("--rounds="));
const rounds = roundsArg ? Number(roundsArg.slice("--rounds=".length)) : 2;
if (!Number.isSafeInteger(rounds) || rounds < 1 || rounds > 10) {
	console.error("--rounds takes a whole number from 1 to 10");
	process.exit(2);
}
const unknown = (only ?? []).filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) {
	console.error(
		`unknown scenario ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}`,
	);
	process.exit(2);
}

const started = Date.now();
const log = (message) =>
	console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

async function main() {
	const tools = preflight();
	log("making fixtures (kept in bench/out/fixtures for the next run)");
	const fixtures = makeFixtures();
	log("starting ota-edge, the baseline Worker and nginx on fresh state");
	const servers = await startServers(fixtures, tools, log);
	const data = await loadData(servers, fixtures);
	const results = { rows: [], cpu: [], anatomy: [], profile: null, notes: [] };
	const ctx = {
		servers,
		data,
		fixtures,
		results,
		log,
		load: quick ? { rounds: 1, seconds: 3 } : { rounds, seconds: 8 },
		short: quick ? { rounds: 1, seconds: 3 } : { rounds, seconds: 6 },
	};
	await warmUp(ctx);
	for (const [name, scenario] of Object.entries(SCENARIOS)) {
		if (!only || only.includes(name)) await scenario(ctx);
	}
	await stopAll();

	results.machine = machine();
	results.seconds = (Date.now() - started) / 1000;
	results.command = `npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`;
	console.log(`\n${renderTable(results)}\n`);
	writeFileSync(join(OUT, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
	writeFileSync(join(OUT, "results.md"), renderMarkdown(results));
	log(`done in ${results.seconds.toFixed(0)} s; the table is also in bench/out/results.md`);
}

let stopping = false;
async function finish(code) {
	if (stopping) return;
	stopping = true;
	await stopAll();
	process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => finish(130));
main().then(
	() => finish(0),
	(err) => {
		console.error(`bench failed: ${err.stack ?? err}`);
		return finish(1);
	},
);
