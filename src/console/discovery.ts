import { ServiceUnavailable } from "../errors";

/** The endpoints of the identity provider the console signs in with (OIDC discovery). */
export interface ProviderEndpoints {
	authorizationEndpoint: string;
	tokenEndpoint: string;
	endSessionEndpoint: string | null;
}

const TTL_MS = 60 * 60_000;
const cache = new Map<string, { at: number; endpoints: Promise<ProviderEndpoints> }>();

/**
 * Reads `<issuer>/.well-known/openid-configuration` once an hour per isolate. The Worker reads
 * it, not the browser: not every provider answers CORS on its discovery document. A failed read
 * is not cached, so the next sign-in tries again.
 */
export function providerEndpoints(issuer: string, now = Date.now()): Promise<ProviderEndpoints> {
	const hit = cache.get(issuer);
	if (hit && now - hit.at < TTL_MS) return hit.endpoints;
	const endpoints = discover(issuer);
	cache.set(issuer, { at: now, endpoints });
	endpoints.catch(() => cache.delete(issuer));
	return endpoints;
}

async function discover(issuer: string): Promise<ProviderEndpoints> {
	const base = issuer.replace(/\/+$/, "");
	let doc: Record<string, unknown> | null = null;
	try {
		const res = await fetch(`${base}/.well-known/openid-configuration`, {
			headers: { accept: "application/json" },
		});
		if (res.ok) doc = (await res.json()) as Record<string, unknown>;
	} catch {
		doc = null;
	}
	const authorizationEndpoint = endpointOf(doc?.authorization_endpoint);
	const tokenEndpoint = endpointOf(doc?.token_endpoint);
	const sameIssuer = typeof doc?.issuer === "string" && doc.issuer.replace(/\/+$/, "") === base;
	if (!sameIssuer || !authorizationEndpoint || !tokenEndpoint) {
		throw new ServiceUnavailable(
			"AUTH_UNAVAILABLE",
			"The identity provider's discovery document could not be read.",
		);
	}
	return {
		authorizationEndpoint,
		tokenEndpoint,
		endSessionEndpoint: endpointOf(doc?.end_session_endpoint),
	};
}

/** An https URL, or http on a loopback host (a local development provider); else null. */
export function endpointOf(value: unknown): string | null {
	if (typeof value !== "string" || !URL.canParse(value)) return null;
	const url = new URL(value);
	if (url.protocol === "https:") return url.href;
	const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
	return url.protocol === "http:" && loopback ? url.href : null;
}
