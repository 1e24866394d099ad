import { type AppError, BadRequest, ServiceUnavailable } from "../errors";
import { CALLBACK_PATH, type ConsoleSignIn } from "./sign-in-config";

/**
 * The console's token requests (authorization code + PKCE verifier, or a refresh token),
 * passed to the provider's token endpoint from the Worker. Some providers (Cloudflare Access)
 * send no CORS headers on their token endpoint, so a browser cannot call it itself.
 *
 * A relay, not an issuer: it forwards the two public-client grants to the one configured token
 * endpoint, for the one configured client, with no secret of its own, and returns what the
 * provider answered. It can mint nothing the provider would not give the browser directly.
 * Nothing of the request or the answer is logged.
 */

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const OPAQUE = /^[\x21-\x7e]{1,8192}$/;
const TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface TokenAnswer {
	access_token: string;
	token_type: string;
	expires_in: number | null;
	refresh_token: string | null;
	id_token: string | null;
	scope: string | null;
}

/** Checks the browser's form and builds the one the provider gets; 400 naming each fault. */
export function tokenRequestForm(
	signIn: ConsoleSignIn,
	form: URLSearchParams,
	origin: string,
): URLSearchParams {
	const issues: { field: string; message: string }[] = [];
	const need = (field: string, rule: RegExp, message: string) => {
		const value = form.get(field) ?? "";
		if (!rule.test(value)) issues.push({ field, message });
		return value;
	};
	const grant = form.get("grant_type");
	if (form.get("client_id") !== signIn.clientId) {
		issues.push({ field: "client_id", message: "must be the console's client id" });
	}
	const out = new URLSearchParams({ client_id: signIn.clientId });
	if (grant === "authorization_code") {
		out.set("grant_type", grant);
		out.set("code", need("code", OPAQUE, "must be the authorization code"));
		out.set("code_verifier", need("code_verifier", VERIFIER, "must be a PKCE verifier"));
		const redirectUri = `${origin}${CALLBACK_PATH}`;
		if (form.get("redirect_uri") !== redirectUri) {
			issues.push({ field: "redirect_uri", message: `must be ${redirectUri}` });
		}
		out.set("redirect_uri", redirectUri);
	} else if (grant === "refresh_token") {
		out.set("grant_type", grant);
		out.set("refresh_token", need("refresh_token", OPAQUE, "must be a refresh token"));
	} else {
		issues.push({ field: "grant_type", message: "must be authorization_code or refresh_token" });
	}
	if (issues.length > 0) {
		const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
		throw new BadRequest("VALIDATION_FAILED", `The token request is not valid (${summary}).`, {
			location: "form",
			issues,
		});
	}
	return out;
}

/** Sends the checked form to the provider and keeps only the fields a client uses. */
export async function relayTokenRequest(
	signIn: ConsoleSignIn,
	form: URLSearchParams,
): Promise<TokenAnswer> {
	const unavailable = new ServiceUnavailable(
		"AUTH_UNAVAILABLE",
		"The identity provider's token endpoint could not be reached.",
	);
	let res: Response;
	let body: Record<string, unknown> | null;
	try {
		res = await fetch(signIn.endpoints.tokenEndpoint, {
			method: "POST",
			headers: {
				"content-type": "application/x-www-form-urlencoded",
				accept: "application/json",
			},
			body: form,
			signal: AbortSignal.timeout(TIMEOUT_MS),
		});
		body = await jsonObject(res);
	} catch {
		throw unavailable;
	}
	if (res.ok && typeof body?.access_token === "string") return answerOf(body);
	if (res.status >= 400 && res.status < 500 && typeof body?.error === "string") {
		throw refused(body.error, body.error_description);
	}
	throw unavailable;
}

async function jsonObject(res: Response): Promise<Record<string, unknown> | null> {
	const text = await res.text();
	if (text.length > MAX_ANSWER_BYTES) return null;
	try {
		const value: unknown = JSON.parse(text);
		return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}

function answerOf(body: Record<string, unknown>): TokenAnswer {
	const text = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : null);
	const expires = Number(body.expires_in);
	return {
		access_token: body.access_token as string,
		token_type: text(body.token_type) ?? "Bearer",
		expires_in: Number.isFinite(expires) && expires > 0 ? Math.floor(expires) : null,
		refresh_token: text(body.refresh_token),
		id_token: text(body.id_token),
		scope: text(body.scope),
	};
}

/** The provider's own words (OAuth `error` and `error_description`), bounded and printable. */
function refused(error: string, description: unknown): AppError {
	const clean = (s: string) => s.replace(/[^\x20-\x7e]/g, "").slice(0, 200);
	const why = typeof description === "string" && description ? `: ${clean(description)}` : "";
	return new BadRequest(
		"SIGN_IN_REFUSED",
		`The identity provider refused the sign-in (${clean(error)}${why}).`,
		{ error: clean(error) },
	);
}
