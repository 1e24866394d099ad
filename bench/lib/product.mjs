// Talking to ota-edge the way its users do: the admin API to create models and devices,
// curl for CI uploads, device tokens signed with the local development identity.
import { execFile } from "node:child_process";
import { signLocalToken } from "../../scripts/local-identity.mjs";

export const adminToken = () =>
	signLocalToken({ sub: "bench-admin", azp: "bench-admin", roles: ["admin"] });
export const pipelineToken = () =>
	signLocalToken({ sub: "bench-ci", azp: "bench-ci", roles: ["pipeline"] });
export const deviceToken = (clientId) => signLocalToken({ sub: clientId, azp: clientId });

export class Api {
	constructor(baseUrl, adminBearer) {
		this.baseUrl = baseUrl;
		this.admin = adminBearer;
	}

	async json(method, path, body) {
		const res = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: { authorization: `Bearer ${this.admin}`, "content-type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
		return text ? JSON.parse(text) : null;
	}

	createModel(code, name) {
		return this.json("POST", "/api/device-models", { code, name });
	}

	/** A device of `model` and a token naming it. */
	async createDevice(model) {
		const device = await this.json("POST", "/api/devices", { model_code: model });
		return { ...device, token: await deviceToken(device.client_id) };
	}
}

/**
 * `curl --data-binary @file` to `url`, as the CI upload script sends it. Resolves with the
 * status, the answer and curl's own time to the last byte of the answer.
 */
export function curlUpload(url, file, bearer) {
	const args = [
		"-sS",
		"-o",
		"-",
		"-w",
		"\n%{http_code} %{time_total}",
		"--data-binary",
		`@${file}`,
	];
	args.push(
		"-H",
		`Authorization: Bearer ${bearer}`,
		"-H",
		"Content-Type: application/octet-stream",
	);
	args.push("-H", "Expect:", url);
	return new Promise((resolve, reject) => {
		execFile("curl", args, { maxBuffer: 1 << 24, timeout: 300_000 }, (err, stdout) => {
			if (err) return reject(new Error(`curl ${url}: ${err.message}`));
			const cut = stdout.lastIndexOf("\n");
			const [status, seconds] = stdout.slice(cut + 1).split(" ");
			resolve({ status: Number(status), seconds: Number(seconds), body: stdout.slice(0, cut) });
		});
	});
}

/** One GET timed to its last byte; the body's SHA-256 is checked by the caller. */
export async function timedGet(url, headers = {}) {
	const started = performance.now();
	const res = await fetch(url, { headers });
	const body = new Uint8Array(await res.arrayBuffer());
	return { status: res.status, ms: performance.now() - started, body, headers: res.headers };
}

/** `curl -X PUT --data-binary @file`: the baseline Worker's bare R2 put. */
export function curlPut(url, file) {
	const args = ["-sS", "-o", "-", "-w", "\n%{http_code} %{time_total}", "-X", "PUT"];
	args.push("--data-binary", `@${file}`, "-H", "Expect:", url);
	return new Promise((resolve, reject) => {
		execFile("curl", args, { maxBuffer: 1 << 20, timeout: 300_000 }, (err, stdout) => {
			if (err) return reject(new Error(`curl ${url}: ${err.message}`));
			const cut = stdout.lastIndexOf("\n");
			const [status, seconds] = stdout.slice(cut + 1).split(" ");
			resolve({ status: Number(status), seconds: Number(seconds), body: stdout.slice(0, cut) });
		});
	});
}
