// A local OpenID provider for development and the browser tests: authorization code + PKCE
// (S256) for one public client, signing with the local development key. It runs as a Node
// process beside `wrangler dev` (scripts/start.mjs), never inside the Worker: the Worker only
// ever holds public keys, and nothing that is deployed can sign a token.
//
// It listens on 127.0.0.1 only and sends codes only to loopback redirect URIs. After the first
// approval it remembers the browser (a cookie on its own origin), as a real provider remembers
// its session, so a reload of the console signs in again without a click.
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { importJWK, SignJWT } from "jose";

const CODE_TTL_MS = 60_000;
const SESSION_COOKIE = "local_idp_session";

/**
 * @param {{ port?: number, signingJwk: Record<string, unknown>, clientId: string,
 *   audience: string, subject?: string, roles?: string[], tokenSeconds?: number }} options
 * @returns {Promise<{ issuer: string, stop(): Promise<void> }>}
 */
export async function startLocalIdp(options) {
	const { d: _private, ...publicJwk } = options.signingJwk;
	const key = await importJWK(options.signingJwk, "ES256");
	const codes = new Map();
	const refreshTokens = new Map();
	const sessions = new Set();
	const user = {
		sub: options.subject ?? "local-admin",
		preferred_username: "local admin",
		roles: options.roles ?? ["admin"],
	};
	let issuer = "";

	const sign = (claims, audience, seconds) =>
		new SignJWT(claims)
			.setProtectedHeader({ alg: "ES256", kid: String(options.signingJwk.kid) })
			.setIssuer(issuer)
			.setAudience(audience)
			.setIssuedAt()
			.setExpirationTime(`${seconds}s`)
			.sign(key);

	const tokensFor = async (grant) => {
		const seconds = options.tokenSeconds ?? 3600;
		const access = await sign(
			{ ...user, azp: options.clientId, scope: grant.scope },
			options.audience,
			seconds,
		);
		const idToken = await sign({ ...user, nonce: grant.nonce }, options.clientId, seconds);
		const refresh = randomBytes(32).toString("base64url");
		refreshTokens.set(refresh, { scope: grant.scope, nonce: undefined });
		return {
			access_token: access,
			token_type: "Bearer",
			expires_in: seconds,
			refresh_token: refresh,
			id_token: idToken,
			scope: grant.scope,
		};
	};

	const server = createServer((req, res) => {
		handle(req, res).catch(() => json(res, 500, { error: "server_error" }));
	});

	async function handle(req, res) {
		const url = new URL(req.url ?? "/", issuer);
		if (req.method === "GET" && url.pathname === "/.well-known/openid-configuration") {
			return json(res, 200, {
				issuer,
				authorization_endpoint: `${issuer}/authorize`,
				token_endpoint: `${issuer}/token`,
				jwks_uri: `${issuer}/jwks`,
				response_types_supported: ["code"],
				grant_types_supported: ["authorization_code", "refresh_token"],
				code_challenge_methods_supported: ["S256"],
				token_endpoint_auth_methods_supported: ["none"],
				id_token_signing_alg_values_supported: ["ES256"],
				subject_types_supported: ["public"],
			});
		}
		if (req.method === "GET" && url.pathname === "/jwks") {
			return json(res, 200, { keys: [{ ...publicJwk, alg: "ES256", use: "sig" }] });
		}
		if (url.pathname === "/authorize") return authorize(req, res, url);
		if (req.method === "POST" && url.pathname === "/token") return token(req, res);
		return json(res, 404, { error: "not_found" });
	}

	async function authorize(req, res, url) {
		const params = req.method === "POST" ? new URLSearchParams(await body(req)) : url.searchParams;
		const redirectUri = params.get("redirect_uri") ?? "";
		if (params.get("client_id") !== options.clientId || !isLoopback(redirectUri)) {
			return page(
				res,
				400,
				"This sign-in request is not for the local console client, or its redirect is not on this machine.",
			);
		}
		const back = new URL(redirectUri);
		const state = params.get("state");
		if (state) back.searchParams.set("state", state);
		const challenge = params.get("code_challenge") ?? "";
		if (
			params.get("response_type") !== "code" ||
			params.get("code_challenge_method") !== "S256" ||
			!/^[A-Za-z0-9_-]{43}$/.test(challenge)
		) {
			back.searchParams.set("error", "invalid_request");
			back.searchParams.set("error_description", "authorization code with PKCE S256 only");
			return redirect(res, back.href);
		}
		const remembered = sessions.has(cookie(req, SESSION_COOKIE));
		if (req.method === "GET" && !remembered) return consent(res, params);
		const session = remembered
			? cookie(req, SESSION_COOKIE)
			: randomBytes(24).toString("base64url");
		sessions.add(session);
		const code = randomBytes(32).toString("base64url");
		codes.set(code, {
			challenge,
			redirectUri,
			scope: params.get("scope") ?? "openid",
			nonce: params.get("nonce") ?? undefined,
			expires: Date.now() + CODE_TTL_MS,
		});
		back.searchParams.set("code", code);
		res.setHeader("Set-Cookie", `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Lax; Path=/`);
		return redirect(res, back.href);
	}

	async function token(req, res) {
		const form = new URLSearchParams(await body(req));
		if (form.get("client_id") !== options.clientId)
			return json(res, 401, { error: "invalid_client", error_description: "Unknown client" });
		if (form.get("grant_type") === "refresh_token") {
			const grant = refreshTokens.get(form.get("refresh_token") ?? "");
			if (!grant)
				return json(res, 400, {
					error: "invalid_grant",
					error_description: "Refresh token not valid",
				});
			refreshTokens.delete(form.get("refresh_token"));
			return json(res, 200, await tokensFor(grant));
		}
		if (form.get("grant_type") !== "authorization_code")
			return json(res, 400, { error: "unsupported_grant_type" });
		const grant = codes.get(form.get("code") ?? "");
		codes.delete(form.get("code") ?? "");
		const verifier = form.get("code_verifier") ?? "";
		const challenge = createHash("sha256").update(verifier).digest("base64url");
		if (
			!grant ||
			grant.expires < Date.now() ||
			grant.redirectUri !== form.get("redirect_uri") ||
			grant.challenge !== challenge
		) {
			return json(res, 400, { error: "invalid_grant", error_description: "Code not valid" });
		}
		return json(res, 200, await tokensFor(grant));
	}

	await new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, "127.0.0.1", resolve);
	});
	issuer = `http://127.0.0.1:${server.address().port}`;
	return {
		issuer,
		stop: () =>
			new Promise((done) => {
				server.closeAllConnections?.();
				server.close(() => done());
			}),
	};
}

function isLoopback(uri) {
	if (!URL.canParse(uri)) return false;
	const url = new URL(uri);
	return (
		(url.protocol === "http:" || url.protocol === "https:") &&
		["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)
	);
}

function cookie(req, name) {
	const found = (req.headers.cookie ?? "").split(/;\s*/).find((c) => c.startsWith(`${name}=`));
	return found ? found.slice(name.length + 1) : "";
}

async function body(req) {
	const chunks = [];
	let size = 0;
	for await (const chunk of req) {
		size += chunk.length;
		if (size > 16_384) throw new Error("body too large");
		chunks.push(chunk);
	}
	return Buffer.concat(chunks).toString("utf8");
}

function json(res, status, value) {
	res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
	res.end(JSON.stringify(value));
}

function redirect(res, location) {
	res.writeHead(302, {
		Location: location,
		"Cache-Control": "no-store",
		"Referrer-Policy": "no-referrer",
	});
	res.end();
}

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const PAGE_STYLE =
	"body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:15vh auto;padding:0 1rem}button{font:inherit;padding:.6rem 1.6rem;border-radius:8px;border:0;background:#1f5f8b;color:#fff;cursor:pointer}";

function page(res, status, text, form = "") {
	res.writeHead(status, {
		"Content-Type": "text/html; charset=utf-8",
		"Content-Security-Policy":
			"default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'",
		"Cache-Control": "no-store",
	});
	res.end(
		`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Local sign-in</title><style>${PAGE_STYLE}</style><h1>Local sign-in</h1><p>${escapeHtml(text)}</p>${form}</html>`,
	);
}

function consent(res, params) {
	const hidden = [...params]
		.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
		.join("");
	page(
		res,
		200,
		"This is the local identity provider of ota-edge development. It signs you in as the local admin.",
		`<form method="post" action="/authorize">${hidden}<button type="submit" autofocus>Continue as local admin</button></form>`,
	);
}
