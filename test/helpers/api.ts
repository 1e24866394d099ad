import { exports } from "cloudflare:workers";

export interface ApiOptions {
	method?: string;
	token?: string;
	json?: unknown;
	body?: BodyInit | null;
	headers?: Record<string, string>;
}

/** Calls the Worker under test the way a client does, through its fetch handler. */
export function api(path: string, options: ApiOptions = {}): Promise<Response> {
	const headers = new Headers(options.headers);
	if (options.token) headers.set("authorization", `Bearer ${options.token}`);
	let body = options.body;
	if (options.json !== undefined) {
		headers.set("content-type", "application/json");
		body = JSON.stringify(options.json);
	}
	return exports.default.fetch(`http://ota.test${path}`, {
		method: options.method ?? (body == null ? "GET" : "POST"),
		headers,
		body,
	});
}

/** Asserts the one error envelope and returns it. */
export async function errorOf(
	res: Response,
): Promise<{ error: string; code: string; details?: Record<string, unknown> }> {
	const body = (await res.json()) as {
		error: string;
		code: string;
		details?: Record<string, unknown>;
	};
	if (typeof body.error !== "string" || typeof body.code !== "string") {
		throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
	}
	return body;
}
