import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "./harness";
import { fs, nodeProcess, os } from "./node-builtins";
import { runPiped } from "./run-script";

// A Worker whose configured URLs try every way out of a shell word; each would create a file.
const marks = fs.mkdtempSync(`${os.tmpdir()}/ota-edge-marks-`);
const hostileBase = [
	`https://ota.example/'; touch ${marks}/quote; echo '`,
	`$(touch ${marks}/dollar)`,
	`\`touch ${marks}/backtick\``,
	`\ntouch ${marks}/newline\n`,
].join("");
const hostileTokenUrl = `https://id.example/"; touch ${marks}/double; "\r\ntouch ${marks}/crlf`;
const printed = (value: string) => value.replace(/[\r\n]/g, "");

let worker: RunningWorker;
let script: string;

beforeAll(async () => {
	worker = await startWorker({
		vars: { PUBLIC_BASE_URL: hostileBase, OIDC_TOKEN_URL: hostileTokenUrl },
	});
	script = await (await fetch(`${worker.baseUrl}/api/pipeline/upload.sh`)).text();
});

afterAll(async () => {
	await worker?.stop();
	fs.rmSync(marks, { recursive: true, force: true });
});

describe("upload.sh served with hostile configuration", () => {
	for (const shell of ["/bin/dash", "/bin/bash"]) {
		it(`keeps configured URLs as plain text under ${shell}`, async () => {
			const run = await runPiped(shell, script, ["--help"], {
				cwd: marks,
				env: { PATH: nodeProcess.env.PATH ?? "/usr/bin:/bin" },
			});
			expect(run.code, run.stderr).toBe(0);
			expect(fs.readdirSync(marks)).toEqual([]);
			expect(run.stdout).toContain(`to ${printed(hostileBase).trim()}\n`);
			expect(run.stdout).toContain(`exchanged at ${printed(hostileTokenUrl)}\n`);
		});
	}
});
