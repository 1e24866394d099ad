// The one table of a run (console and Markdown), with the machine it ran on.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, release } from "node:os";

/**
 * ota-edge relative to another server, ≥ 1 meaning as good or better: req/s divided, times
 * the other way round.
 */
export function relative(row, other) {
	if (row.noRatio || other === null || other === undefined || !row.product || !other) return null;
	return row.better === "higher" ? row.product / other : other / row.product;
}

export function verdict(row) {
	if (row.status === "FAILED") return "FAILED";
	if (row.limitMiB !== null && row.limitMiB !== undefined) {
		return row.product < row.limitMiB
			? `met (< ${row.limitMiB} MiB)`
			: `MISSED (≥ ${row.limitMiB} MiB)`;
	}
	if (row.target === null || row.target === undefined) return "";
	const r = relative(row, row.baseline);
	return r >= row.target ? `met (≥ ${row.target}×)` : `MISSED (< ${row.target}×)`;
}

const number = (v) => {
	if (v === null || v === undefined) return "–";
	if (v >= 100) return v.toFixed(0);
	if (v >= 10) return v.toFixed(1);
	return v.toFixed(2);
};
const ratio = (v) => (v === null ? "–" : `${v.toFixed(2)}×`);

function tableRows(results) {
	return results.rows.map((row) => {
		const errors = row.errors
			? Object.entries(row.errors)
					.filter(([, n]) => n)
					.map(([who, n]) => `${who}: ${n} errors`)
					.join(", ")
			: "";
		const cell = (who) =>
			row.labels?.[who] ? `${number(row[who])} (${row.labels[who]})` : number(row[who]);
		return [
			row.scenario,
			row.metric,
			cell("product"),
			cell("baseline"),
			cell("nginx"),
			ratio(relative(row, row.baseline)),
			ratio(relative(row, row.nginx)),
			[verdict(row), errors].filter(Boolean).join("; "),
		];
	});
}

const HEADER = [
	"scenario",
	"metric",
	"ota-edge",
	"baseline Worker",
	"nginx",
	"vs baseline",
	"vs nginx",
	"target",
];

export function renderTable(results) {
	const rows = [HEADER, ...tableRows(results)];
	const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
	const line = (r) => r.map((cell, i) => String(cell).padEnd(widths[i])).join("  ");
	return [
		line(rows[0]),
		widths.map((w) => "-".repeat(w)).join("  "),
		...rows.slice(1).map(line),
		"",
		"vs = ota-edge relative to the other server, ≥ 1.00× as good or better (req/s divided; times inverted).",
		...cpuLines(results),
		...anatomyLines(results),
		...results.notes.map((n) => `note: ${n}`),
	].join("\n");
}

const CPU_HEADER = ["scenario", "server", "total", "runtime", "proxy", "wrangler", "other"];
const cpuCells = (c) => [
	c.scenario,
	c.who,
	...["total", "runtime", "proxy", "wrangler", "other"].map((k) => (c[k] ?? 0).toFixed(2)),
];

function cpuLines(results) {
	if (!results.cpu?.length) return [];
	const rows = [CPU_HEADER, ...results.cpu.map(cpuCells)];
	const widths = CPU_HEADER.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
	return [
		"",
		"CPU ms per request by process (runtime = workerd running the Worker and the local D1/R2/cache; proxy = wrangler's workerd in front; wrangler = node, which also prints the logs):",
		...rows.map((r) => `  ${r.map((cell, i) => String(cell).padEnd(widths[i])).join("  ")}`),
	];
}

function anatomyLines(results) {
	if (!results.anatomy?.length) return [];
	return [
		"",
		"Storage calls per request (ota-edge; the baseline makes one R2 call per request):",
		...results.anatomy.map((a) => `  ${a.label.padEnd(56)} ${a.status}  ${formatCounts(a.counts)}`),
	];
}

export function formatCounts(counts) {
	if (!counts) return "(not counted)";
	const entries = Object.entries(counts);
	return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(" ") : "none";
}

export function renderMarkdown(results) {
	const md = (cells) => `| ${cells.join(" | ")} |`;
	const out = [
		md(HEADER),
		md(HEADER.map(() => "---")),
		...tableRows(results).map(md),
		"",
		"`vs` = ota-edge relative to the other server, ≥ 1.00× meaning as good or better (req/s divided, times inverted).",
		"",
	];
	if (results.cpu?.length) {
		out.push("CPU ms per request, by process:", "");
		out.push(
			md(CPU_HEADER),
			md(CPU_HEADER.map(() => "---")),
			...results.cpu.map((c) => md(cpuCells(c))),
			"",
		);
	}
	if (results.anatomy?.length) {
		out.push("| request (ota-edge) | status | storage calls, including deferred work |");
		out.push("| --- | --- | --- |");
		for (const a of results.anatomy) out.push(md([a.label, a.status, formatCounts(a.counts)]));
		out.push("");
	}
	if (results.profile) {
		const p = results.profile;
		out.push(
			`CPU profile of the Worker isolate, ${p.requests} revalidation requests: ${(p.busyMs / p.requests).toFixed(2)} ms busy per request.`,
			"",
			"| where (self time) | ms per request |",
			"| --- | --- |",
			...p.files.slice(0, 10).map((f) => md([f.name, (f.ms / p.requests).toFixed(3)])),
			"",
			"| function (self time) | ms per request |",
			"| --- | --- |",
			...p.functions.slice(0, 15).map((f) => md([`\`${f.name}\``, (f.ms / p.requests).toFixed(3)])),
			"",
		);
	}
	for (const note of results.notes) out.push(`- ${note}`);
	out.push("", "Machine:", "", "```", results.machine, "```", "");
	out.push(`Whole run: ${results.seconds.toFixed(0)} s.`, "");
	return out.join("\n");
}

function packageVersion(name) {
	try {
		const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
		return JSON.parse(readFileSync(url, "utf8")).version;
	} catch {
		return "?";
	}
}

/** nproc, free -h, the CPU model and the versions that matter, as text. */
export function machine() {
	// Some of these print their version on stderr, or exit non-zero after printing it.
	const run = (cmd, args) => {
		const r = spawnSync(cmd, args, { encoding: "utf8" });
		return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() || "(unavailable)";
	};
	const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
	return [
		`$ nproc\n${run("nproc", [])}`,
		`$ free -h\n${run("free", ["-h"])}`,
		`CPU: ${cpu ?? "unknown"} (${availableParallelism()} available to Node)`,
		`Linux ${release()}; Node ${process.versions.node}; wrangler ${packageVersion("wrangler")}; workerd ${packageVersion("workerd")}`,
		`${run(existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx", ["-v"])}; ${run("wrk", ["-v"]).split("\n")[0]}`,
		`load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
	].join("\n");
}
