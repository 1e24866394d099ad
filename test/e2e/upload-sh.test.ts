import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type EspIdfProject, IDF_VERSION, makeEspIdfProject } from "./esp-idf-project";
import { adminToken, pipelineToken } from "./harness";
import { fs, nodeProcess } from "./node-builtins";
import { pathWithout, runPiped } from "./run-script";

const base = inject("e2eBaseUrl");
let script: string;
let admin: string;
const projects: EspIdfProject[] = [];
const paths: string[] = [];

beforeAll(async () => {
	admin = await adminToken();
	const res = await fetch(`${base}/api/pipeline/upload.sh`);
	expect(res.status).toBe(200);
	script = await res.text();
	expect(script).toContain(`served_base_url='${base}'`);
});

afterAll(() => {
	for (const p of projects) p.remove();
	for (const dir of paths) fs.rmSync(dir, { recursive: true, force: true });
});

async function project(options: Parameters<typeof makeEspIdfProject>[0] = {}) {
	const made = await makeEspIdfProject(options);
	projects.push(made);
	return made;
}

function withoutCommands(...names: string[]): string {
	const dir = pathWithout(names);
	paths.push(dir);
	return dir;
}

async function createModel(code: string) {
	const res = await fetch(`${base}/api/device-models`, {
		method: "POST",
		headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
		body: JSON.stringify({ code, name: `e2e ${code}` }),
	});
	expect(res.status, await res.clone().text()).toBe(201);
}

interface StoredVersion {
	version: string;
	format: string;
	git_commit: string | null;
	idf_version: string | null;
}

async function versions(code: string): Promise<StoredVersion[]> {
	const res = await fetch(`${base}/api/device-models/${code}/firmware/versions`, {
		headers: { authorization: `Bearer ${admin}` },
	});
	expect(res.status).toBe(200);
	return ((await res.json()) as { versions: StoredVersion[] }).versions;
}

async function storedBundle(code: string, version: string): Promise<Record<string, Uint8Array>> {
	const res = await fetch(`${base}/api/device-models/${code}/firmware/versions/${version}/zip`, {
		headers: { authorization: `Bearer ${admin}` },
	});
	expect(res.status).toBe(200);
	return unzipSync(new Uint8Array(await res.arrayBuffer()));
}

interface RunOptions {
	shell?: string;
	env?: Record<string, string>;
	path?: string;
}

/** upload.sh as a CI job runs it: piped into the shell, in the project root. */
function upload(dir: string, args: string[], options: RunOptions = {}) {
	return runPiped(options.shell ?? "/bin/dash", script, args, {
		cwd: dir,
		env: {
			PATH: options.path ?? nodeProcess.env.PATH ?? "/usr/bin:/bin",
			HOME: dir,
			...options.env,
		},
	});
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe("upload.sh against the running Worker", () => {
	for (const shell of ["/bin/dash", "/bin/bash"]) {
		it(`uploads a bundle named for the model, whatever the build called its files (${shell})`, async () => {
			const code = `e2e_zip_${shell.slice(5)}`;
			await createModel(code);
			const idf = await project({ projectName: "thermo_fw", version: "1.2.3" });
			const token = await pipelineToken();

			const first = await upload(idf.dir, [code], { shell, env: { IOTSUPPORT_TOKEN: token } });
			expect(first.stderr).not.toContain(token);
			expect(first.stdout).not.toContain(token);
			expect(first.code, first.stderr).toBe(0);
			expect(first.stdout).toMatch(
				new RegExp(`^Stored firmware version 1\\.2\\.3 for model ${code} \\(zip, \\d+ bytes`, "m"),
			);

			const [stored] = await versions(code);
			expect(stored).toMatchObject({ version: "1.2.3", format: "zip", git_commit: idf.commit });
			const bundle = await storedBundle(code, "1.2.3");
			expect(Object.keys(bundle).sort()).toEqual(
				[`${code}.bin`, `${code}.elf`, `${code}.map`, "sdkconfig", "version.json"].sort(),
			);
			expect(bundle[`${code}.bin`]).toEqual(idf.image);
			expect(bundle[`${code}.elf`]).toEqual(idf.elf);
			expect(JSON.parse(text(bundle["version.json"]))).toEqual({
				firmware_version: "1.2.3",
				idf_version: IDF_VERSION,
				git_commit: idf.commit,
			});

			const again = await upload(idf.dir, [code], { shell, env: { IOTSUPPORT_TOKEN: token } });
			expect(again.code, again.stderr).toBe(0);
			expect(again.stdout).toContain("Unchanged: this image was already stored as version 1.2.3.");
		});
	}

	it("takes the model code and the image from the build when given no arguments", async () => {
		await createModel("e2e_noargs");
		const idf = await project({ projectName: "e2e_noargs", version: "2.0.0" });
		const run = await upload(idf.dir, [], { env: { IOTSUPPORT_TOKEN: await pipelineToken() } });
		expect(run.code, run.stderr).toBe(0);
		expect(await versions("e2e_noargs")).toMatchObject([{ version: "2.0.0", format: "zip" }]);
	});

	it("takes the image path from the arguments, outside the build directory", async () => {
		await createModel("e2e_path");
		const idf = await project({ version: "2.1.0" });
		const run = await upload(idf.dir, ["e2e_path", "build/thermo_fw.bin"], {
			env: { IOTSUPPORT_TOKEN: await pipelineToken() },
		});
		expect(run.code, run.stderr).toBe(0);
		expect(await versions("e2e_path")).toMatchObject([{ version: "2.1.0", format: "zip" }]);
	});

	it("warns and uploads the bare image when the map file is missing", async () => {
		await createModel("e2e_nomap");
		const idf = await project({ omit: ["map"] });
		const run = await upload(idf.dir, ["e2e_nomap"], {
			env: { IOTSUPPORT_TOKEN: await pipelineToken() },
		});
		expect(run.code, run.stderr).toBe(0);
		expect(run.stderr).toMatch(/warning: not found: thermo_fw\.map; uploading the bare app image/);
		expect(run.stdout).toContain("Stored firmware version 1.2.3 for model e2e_nomap (bin,");
		expect(await versions("e2e_nomap")).toMatchObject([{ version: "1.2.3", format: "bin" }]);
	});

	it("warns and uploads the bare image when zip is not installed", async () => {
		await createModel("e2e_nozip");
		const idf = await project();
		const run = await upload(idf.dir, ["e2e_nozip"], {
			env: { IOTSUPPORT_TOKEN: await pipelineToken() },
			path: withoutCommands("zip"),
		});
		expect(run.code, run.stderr).toBe(0);
		expect(run.stderr).toContain("warning: zip is not installed; uploading the bare app image");
		expect(await versions("e2e_nozip")).toMatchObject([{ format: "bin" }]);
	});

	for (const [label, missing] of [
		["with jq", []],
		["without jq", ["jq"]],
	] as const) {
		it(`writes quotes, backslashes and control characters into version.json as valid JSON (${label})`, async () => {
			if (missing.length === 0) {
				const jq = fs.existsSync("/usr/bin/jq") || fs.existsSync("/usr/local/bin/jq");
				expect(jq, "this test needs jq installed (apt-get install jq)").toBe(true);
			}
			const code = missing.length === 0 ? "e2e_json_jq" : "e2e_json_awk";
			await createModel(code);
			const projectVersion = `1.2.3 "rc" \\build\\ 'q'\ttab é`;
			const idf = await project({ projectVersion });
			const run = await upload(idf.dir, [code], {
				env: { IOTSUPPORT_TOKEN: await pipelineToken() },
				path: withoutCommands(...missing),
			});
			expect(run.code, run.stderr).toBe(0);
			const bundle = await storedBundle(code, "1.2.3");
			expect(JSON.parse(text(bundle["version.json"]))).toEqual({
				firmware_version: projectVersion,
				idf_version: IDF_VERSION,
				git_commit: idf.commit,
			});
			// The server notices that version.json and the image disagree, and the script says so.
			expect(run.stderr).toMatch(/warning: server: /);
		});
	}

	it("prints the server's message and fails for an unknown model", async () => {
		const idf = await project();
		const token = await pipelineToken();
		const direct = await fetch(`${base}/api/pipeline/models/e2e_unknown/firmware`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}` },
			body: idf.image,
		});
		expect(direct.status).toBe(404);
		const { error, code } = (await direct.json()) as { error: string; code: string };

		const run = await upload(idf.dir, ["e2e_unknown"], { env: { IOTSUPPORT_TOKEN: token } });
		expect(run.code).not.toBe(0);
		expect(run.stderr).toContain(
			`error: the server refused the upload: HTTP 404 ${code}: ${error}`,
		);
		expect(run.stdout).not.toContain("Stored");
	});

	it("fails clearly with a token the server does not trust, and stores nothing", async () => {
		await createModel("e2e_badtoken");
		const idf = await project();
		const run = await upload(idf.dir, ["e2e_badtoken"], {
			env: { IOTSUPPORT_TOKEN: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl" },
		});
		expect(run.code).not.toBe(0);
		expect(run.stderr).toMatch(
			/error: the server refused the upload: HTTP 401 [A-Z_]+: .+\(check the token/,
		);
		expect(await versions("e2e_badtoken")).toEqual([]);
	});

	it("refuses a token that cannot be one, without printing it", async () => {
		const idf = await project();
		const run = await upload(idf.dir, ["e2e_any"], {
			env: { IOTSUPPORT_TOKEN: "secret value\r\nX-Injected: 1" },
		});
		expect(run.code).not.toBe(0);
		expect(run.stderr).toContain("error: IOTSUPPORT_TOKEN is not a bearer token");
		expect(run.stderr).not.toContain("secret value");
	});

	it("fails clearly without credentials", async () => {
		const idf = await project();
		const run = await upload(idf.dir, ["e2e_any"]);
		expect(run.code).not.toBe(0);
		expect(run.stderr).toContain(
			"error: no credentials: set IOTSUPPORT_TOKEN to a bearer token with the pipeline role, or IOTSUPPORT_CLIENT_ID and IOTSUPPORT_CLIENT_SECRET",
		);
	});

	it("exchanges client credentials at the token URL the server filled in", async () => {
		await createModel("e2e_client");
		const idf = await project();
		const secret = inject("e2eClientSecret");
		const run = await upload(idf.dir, ["e2e_client"], {
			env: { IOTSUPPORT_CLIENT_ID: inject("e2eClientId"), IOTSUPPORT_CLIENT_SECRET: secret },
		});
		expect(run.code, run.stderr).toBe(0);
		expect(run.stderr).toContain(
			`requesting a token for ${inject("e2eClientId")} from ${inject("e2eTokenUrl")}`,
		);
		expect(run.stderr + run.stdout).not.toContain(secret);
		expect(await versions("e2e_client")).toMatchObject([{ format: "zip" }]);
	});

	it("reports a refused client-credentials exchange", async () => {
		const idf = await project();
		const run = await upload(idf.dir, ["e2e_any"], {
			env: { IOTSUPPORT_CLIENT_ID: inject("e2eClientId"), IOTSUPPORT_CLIENT_SECRET: "wrong" },
		});
		expect(run.code).not.toBe(0);
		expect(run.stderr).toContain(
			"error: the token URL refused the client credentials (HTTP 401: Invalid client or Invalid client credentials)",
		);
	});

	it("refuses a project_name that is not a model code and says what to do", async () => {
		const idf = await project({ projectName: "thermo-fw" });
		const run = await upload(idf.dir, [], { env: { IOTSUPPORT_TOKEN: await pipelineToken() } });
		expect(run.code).not.toBe(0);
		expect(run.stderr).toContain(
			"error: the build's project_name 'thermo-fw' is not a model code (1-50 characters of a-z, 0-9 and _): pass the model code as the first argument",
		);
	});
});
