// What `npm run bench` needs besides node_modules: Node 22+, Linux /proc (CPU and memory are
// read there), and three Debian packages — wrk (load), nginx (the from-disk baseline) and curl
// (uploads, as CI sends them). Run as root with CI set, missing packages are installed with
// apt-get; otherwise the run stops and says what to install.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const PACKAGES = { wrk: "wrk", nginx: "nginx", curl: "curl" };

function find(command) {
	const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
	if (found.status === 0) return found.stdout.trim();
	// nginx lives in /usr/sbin, which is not on every user's PATH.
	for (const dir of ["/usr/sbin", "/usr/local/sbin", "/sbin"]) {
		if (existsSync(`${dir}/${command}`)) return `${dir}/${command}`;
	}
	return null;
}

/** The paths of the tools; exits the process with instructions when something is missing. */
export function preflight() {
	const problems = [];
	const major = Number(process.versions.node.split(".")[0]);
	if (major < 22) {
		problems.push(
			`Node ${process.versions.node} runs this; run it through \`npm run bench\` (Node 22 from devDependencies).`,
		);
	}
	if (process.platform !== "linux" || !existsSync("/proc/self/status")) {
		problems.push("The bench reads CPU time and memory from Linux /proc; run it on Linux.");
	}
	let missing = Object.keys(PACKAGES).filter((command) => !find(command));
	if (missing.length > 0 && process.getuid?.() === 0 && process.env.CI) {
		const packages = missing.map((c) => PACKAGES[c]);
		console.log(`Installing ${packages.join(", ")} with apt-get (root, CI is set)…`);
		const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
		spawnSync("apt-get", ["update"], { stdio: "inherit", env });
		spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
			stdio: "inherit",
			env,
		});
		missing = missing.filter((command) => !find(command));
	}
	if (missing.length > 0) {
		const packages = missing.map((c) => PACKAGES[c]).join(" ");
		problems.push(
			`Missing ${missing.join(", ")}. Install with \`sudo apt-get install -y ${packages}\` (Debian/Ubuntu), or run as root with CI=1 and the bench installs them.`,
		);
	}
	if (problems.length > 0) {
		for (const problem of problems) console.error(`bench: ${problem}`);
		process.exit(2);
	}
	return { wrk: find("wrk"), nginx: find("nginx"), curl: find("curl") };
}
