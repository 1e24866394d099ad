import { session } from "../auth/session";

/** An answer of the API that is not a success, with the API's own message and code. */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly details?: Record<string, unknown>,
	) {
		super(message);
		this.name = "ApiError";
	}
}

interface Envelope {
	error?: unknown;
	code?: unknown;
	details?: unknown;
}

/** Reads the error envelope (SPEC §4); anything else still becomes a readable error. */
export async function errorOf(res: Response): Promise<ApiError> {
	const text = await res.text().catch(() => "");
	let body: Envelope | null = null;
	try {
		body = JSON.parse(text) as Envelope;
	} catch {
		body = null;
	}
	if (body && typeof body.error === "string" && typeof body.code === "string") {
		const details =
			body.details && typeof body.details === "object"
				? (body.details as Record<string, unknown>)
				: undefined;
		return new ApiError(res.status, body.code, body.error, details);
	}
	const snippet = text.trim().slice(0, 200);
	return new ApiError(
		res.status,
		`HTTP_${res.status}`,
		snippet || `The server answered ${res.status} ${res.statusText}.`.trim(),
	);
}

/**
 * One call to the API with the signed-in operator's token. A token the API calls expired is
 * refreshed once (when the provider gave a refresh token) and the call repeated.
 */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
	const attempt = async () => {
		const headers = new Headers(init.headers);
		const token = session.accessToken();
		if (token) headers.set("authorization", `Bearer ${token}`);
		try {
			return await fetch(path, { ...init, headers, cache: "no-store" });
		} catch {
			throw new ApiError(
				0,
				"NETWORK_ERROR",
				"The server could not be reached. Check the connection and try again.",
			);
		}
	};
	let res = await attempt();
	if ((await expired(res)) && (await session.refreshAfter401())) res = await attempt();
	if (await expired(res)) session.markExpired();
	return res;
}

/** A 401 `TOKEN_EXPIRED`; other 401s (a wrong audience, say) are errors to show, not expiry. */
async function expired(res: Response): Promise<boolean> {
	if (res.status !== 401) return false;
	const body = (await res
		.clone()
		.json()
		.catch(() => null)) as Envelope | null;
	return body?.code === "TOKEN_EXPIRED";
}

export async function requestJson<T>(method: string, path: string, body?: unknown): Promise<T> {
	const init: RequestInit = { method, headers: { accept: "application/json" } };
	if (body !== undefined) {
		init.headers = { accept: "application/json", "content-type": "application/json" };
		init.body = JSON.stringify(body);
	}
	const res = await send(path, init);
	if (!res.ok) throw await errorOf(res);
	if (res.status === 204) return undefined as T;
	return (await res.json()) as T;
}

export async function requestText(path: string): Promise<string> {
	const res = await send(path);
	if (!res.ok) throw await errorOf(res);
	return res.text();
}

/**
 * Downloads need the bearer token, so a plain link cannot fetch them: the bytes are fetched,
 * then handed to the browser as a file under the name the server gave.
 */
export async function download(path: string, fallbackName: string): Promise<void> {
	const res = await send(path);
	if (!res.ok) throw await errorOf(res);
	const blob = await res.blob();
	const disposition = res.headers.get("content-disposition") ?? "";
	const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
	const url = URL.createObjectURL(blob);
	const link = document.createElement("a");
	link.href = url;
	link.download = name;
	document.body.append(link);
	link.click();
	link.remove();
	setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const enc = encodeURIComponent;
