import { childProcess, fs, os } from "./node-builtins";

export interface ScriptResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/**
 * Runs a script the way the docs tell CI jobs to: piped into the shell's standard input
 * (`curl … | sh -s -- args`), with only the environment given.
 */
export async function runPiped(
	shell: string,
	script: string,
	args: string[],
	options: { cwd: string; env: Record<string, string> },
): Promise<ScriptResult> {
	const child = childProcess.spawn(shell, ["-s", "--", ...args], {
		cwd: options.cwd,
		env: options.env,
		stdio: ["pipe", "pipe", "pipe"],
	});
	const decoder = { out: new TextDecoder(), err: new TextDecoder() };
	let stdout = "";
	let stderr = "";
	child.stdout?.on("data", (chunk) => {
		stdout += decoder.out.decode(chunk, { stream: true });
	});
	child.stderr?.on("data", (chunk) => {
		stderr += decoder.err.decode(chunk, { stream: true });
	});
	const code = new Promise<number | null>((done) => child.once("close", (c) => done(c)));
	child.stdin?.end(script);
	return { code: await code, stdout, stderr };
}

const BIN_DIRS = ["/usr/local/bin", "/usr/bin", "/bin"];

/** A PATH with every command of the usual directories but the ones named: a CI image without them. */
export function pathWithout(missing: string[]): string {
	const dir = fs.mkdtempSync(`${os.tmpdir()}/ota-edge-path-`);
	const seen = new Set(missing);
	for (const binDir of BIN_DIRS) {
		if (!fs.existsSync(binDir)) continue;
		for (const name of fs.readdirSync(binDir)) {
			if (seen.has(name)) continue;
			seen.add(name);
			fs.symlinkSync(`${binDir}/${name}`, `${dir}/${name}`);
		}
	}
	return dir;
}
