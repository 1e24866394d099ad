// Runs before `npm test`: the suite needs a few programs beside Node — mosquitto (a private
// broker for the MQTT tests), dash (upload.sh runs under it), zip, curl, jq and git (the
// synthetic ESP-IDF projects of the upload-script tests), and Chromium (the console's browser
// tests drive it with playwright-core, which downloads no browser). Missing ones are installed
// from Debian's packages when that is possible (root with apt-get), else named with the
// command that installs them.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const needs = {
	mosquitto: ["/usr/sbin/mosquitto", "mosquitto"],
	dash: ["/bin/dash", "dash"],
	zip: [null, "zip"],
	curl: [null, "curl"],
	jq: [null, "jq"],
	git: [null, "git"],
	chromium: [process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", "chromium"],
};

const onPath = (name) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
const missing = Object.entries(needs)
	.filter(([name, [path]]) => !(path && existsSync(path)) && !onPath(name))
	.map(([, [, pkg]]) => pkg);

if (missing.length > 0) {
	const command = `apt-get install -y ${missing.join(" ")}`;
	const canInstall = process.getuid?.() === 0 && onPath("apt-get");
	if (!canInstall) {
		console.error(
			`npm test needs: ${missing.join(", ")}. Install them first, e.g.: sudo ${command}`,
		);
		process.exit(1);
	}
	console.error(`installing ${missing.join(", ")} for the test suite`);
	const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
	execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
	execFileSync("apt-get", ["install", "-y", "-qq", ...missing], { stdio: "inherit", env });
}
