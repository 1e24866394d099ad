// Builds the operator console's browser code (web/) into dist/console/, the directory Workers
// Static Assets serves. Wrangler runs it before `wrangler dev` and `wrangler deploy` ([build] in
// wrangler.toml), so `npm start`, the tests and every deploy serve what web/ holds now.
// esbuild is the one Wrangler itself bundles with: nothing else to install.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/console");

const result = await build({
	absWorkingDir: root,
	entryPoints: { "assets/console": "web/main.tsx" },
	outdir: out,
	bundle: true,
	format: "esm",
	target: ["es2022", "chrome110", "firefox115", "safari16"],
	jsx: "automatic",
	jsxImportSource: "hono/jsx/dom",
	minify: true,
	legalComments: "none",
	write: false,
	logLevel: "warning",
});

const files = result.outputFiles.map((f) => [f.path, f.contents]);
for (const name of readdirSync(join(root, "web/static"))) {
	files.push([
		join(out, name === "_headers" ? name : `assets/${name}`),
		readFileSync(join(root, "web/static", name)),
	]);
}

// Several `wrangler dev` may build at once (the e2e tests run two): write each file whole under
// a temporary name and rename it into place, and leave identical files untouched, so no server
// ever reads half a file.
for (const [path, bytes] of files) {
	let same = false;
	try {
		same = Buffer.compare(readFileSync(path), Buffer.from(bytes)) === 0;
	} catch {
		same = false;
	}
	if (same) continue;
	mkdirSync(dirname(path), { recursive: true });
	const temporary = `${path}.${process.pid}.tmp`;
	writeFileSync(temporary, bytes);
	renameSync(temporary, path);
}
