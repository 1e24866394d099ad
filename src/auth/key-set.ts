import {
	createLocalJWKSet,
	createRemoteJWKSet,
	type JSONWebKeySet,
	type JWTVerifyGetKey,
} from "jose";
import type { Env } from "../env";
import { type AppError, ServiceUnavailable } from "../errors";

/**
 * Where token signatures are checked against, in order of precedence: an inline JWKS
 * (`OIDC_JWKS`), a JWKS URL (`OIDC_JWKS_URL`), or the `jwks_uri` of the issuer's discovery
 * document. Key sets are cached per isolate; a remote set refetches on an unknown `kid`
 * (jose does this, with a cooldown so a flood of bad tokens cannot hammer the provider).
 */
const cache = new Map<string, JWTVerifyGetKey>();
const discovered = new Map<string, Promise<string>>();

export async function keySetFor(env: Env): Promise<JWTVerifyGetKey> {
	const inline = env.OIDC_JWKS?.trim();
	if (inline) return cached(`inline:${inline}`, () => createLocalJWKSet(parseJwks(inline)));
	const url = env.OIDC_JWKS_URL?.trim() || (await discoverJwksUrl(issuerOf(env)));
	return cached(`remote:${url}`, () =>
		createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 }),
	);
}

function cached(key: string, make: () => JWTVerifyGetKey): JWTVerifyGetKey {
	let set = cache.get(key);
	if (!set) {
		set = make();
		cache.set(key, set);
	}
	return set;
}

function issuerOf(env: Env): string {
	const issuer = env.OIDC_ISSUER?.trim();
	if (!issuer) throw notConfigured();
	return issuer;
}

export function notConfigured(): AppError {
	return new ServiceUnavailable(
		"AUTH_NOT_CONFIGURED",
		"Authentication is not configured on this server, so protected endpoints are closed.",
	);
}

function parseJwks(text: string): JSONWebKeySet {
	try {
		const value = JSON.parse(text) as JSONWebKeySet;
		if (Array.isArray(value.keys) && value.keys.length > 0) return value;
	} catch {
		// fall through
	}
	throw new ServiceUnavailable("AUTH_NOT_CONFIGURED", "The configured OIDC_JWKS is not a JWKS.");
}

function discoverJwksUrl(issuer: string): Promise<string> {
	let pending = discovered.get(issuer);
	if (!pending) {
		pending = fetchJwksUri(issuer);
		discovered.set(issuer, pending);
		// A failed discovery is retried by the next request instead of being cached.
		pending.catch(() => discovered.delete(issuer));
	}
	return pending;
}

async function fetchJwksUri(issuer: string): Promise<string> {
	const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
	const unavailable = new ServiceUnavailable(
		"AUTH_UNAVAILABLE",
		"The identity provider's discovery document could not be read.",
	);
	let res: Response;
	try {
		res = await fetch(url, { headers: { accept: "application/json" } });
	} catch {
		throw unavailable;
	}
	if (!res.ok) throw unavailable;
	const doc = (await res.json().catch(() => null)) as { jwks_uri?: unknown } | null;
	if (typeof doc?.jwks_uri !== "string" || !URL.canParse(doc.jwks_uri)) throw unavailable;
	return doc.jwks_uri;
}
