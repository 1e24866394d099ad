import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { JWK } from "jose";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/env";
import { errorOf } from "../helpers/api";
import { foreignKey, signWith, trustedPublicJwk } from "../helpers/jwt-forge";
import { adminToken, ISSUER, signToken } from "../helpers/tokens";

/**
 * Where the signing keys come from. Key sets are cached per isolate by URL (and discovery per
 * issuer), so every test uses URLs of its own.
 */

const REMOTE = { OIDC_JWKS: undefined } satisfies Partial<Env>;

/** Calls the app with the test env changed by `overrides`. */
async function call(
	path: string,
	overrides: Partial<Env>,
	init: { token?: string; method?: string } = {},
): Promise<Response> {
	const headers = new Headers();
	if (init.token) headers.set("authorization", `Bearer ${init.token}`);
	const ctx = createExecutionContext();
	const res = await app.fetch(
		new Request(`http://ota.test${path}`, { method: init.method ?? "GET", headers }),
		{ ...env, ...overrides },
		ctx,
	);
	await waitOnExecutionContext(ctx);
	return res;
}

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

type Answer = () => Response | Promise<Response>;

/** The identity provider as the Worker sees it: answers by URL, and a log of what was asked. */
let provider: Map<string, Answer>;
let requested: string[];
let fetchSpy: MockInstance<typeof fetch>;

beforeEach(() => {
	provider = new Map();
	requested = [];
	fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
		const url = input instanceof Request ? input.url : String(input);
		requested.push(url);
		const answer = provider.get(url);
		return answer ? answer() : new Response("not here", { status: 404 });
	});
});

afterEach(() => {
	fetchSpy.mockRestore();
	vi.useRealTimers();
});

const jwks =
	(...keys: JWK[]) =>
	() =>
		Response.json({ keys });

describe("OIDC_JWKS_URL", () => {
	it("accepts a token signed by a key of the remote set, and caches the set", async () => {
		const url = "https://keys.test/accepted/jwks";
		provider.set(url, jwks(trustedPublicJwk()));
		const config = { ...REMOTE, OIDC_JWKS_URL: url };

		const res = await call("/api/device-models", config, { token: await adminToken() });
		expect(res.status).toBe(200);
		expect((await call("/api/device-models", config, { token: await adminToken() })).status).toBe(
			200,
		);
		expect(requested).toEqual([url]);
	});

	it("refuses a token the remote set does not vouch for", async () => {
		const url = "https://keys.test/other-key/jwks";
		provider.set(url, jwks((await foreignKey("ES256", "test-key-1")).publicJwk));
		const res = await call(
			"/api/device-models",
			{ ...REMOTE, OIDC_JWKS_URL: url },
			{ token: await adminToken() },
		);
		await expectError(res, 401, "TOKEN_INVALID");
	});

	it.each<[string, Answer]>([
		[
			"the network fails",
			() => {
				throw new TypeError("Network connection lost.");
			},
		],
		[
			"the fetch fails with a plain error",
			() => {
				throw new Error("Network connection lost.");
			},
		],
		["the provider answers 500", () => new Response("oops", { status: 500 })],
		["the provider answers 503", () => new Response("maintenance", { status: 503 })],
		[
			"the provider redirects",
			() => new Response(null, { status: 302, headers: { location: "https://elsewhere.test" } }),
		],
		["the body is not JSON", () => new Response("<html>login</html>", { status: 200 })],
		["the body is JSON but no JWKS", () => Response.json({ keys: "none" })],
	])("answers 503 AUTH_UNAVAILABLE when %s, and recovers", async (name, answer) => {
		const url = `https://keys.test/unavailable/${encodeURIComponent(name)}`;
		provider.set(url, answer);
		const config = { ...REMOTE, OIDC_JWKS_URL: url };
		const token = await adminToken();

		await expectError(await call("/api/device-models", config, { token }), 503, "AUTH_UNAVAILABLE");
		// A failure is not remembered: once the provider answers, tokens are accepted again.
		provider.set(url, jwks(trustedPublicJwk()));
		expect((await call("/api/device-models", config, { token })).status).toBe(200);
	});

	it("is not consulted while an inline OIDC_JWKS is set", async () => {
		const url = "https://keys.test/never/jwks";
		provider.set(url, jwks());
		const res = await call(
			"/api/device-models",
			{ OIDC_JWKS_URL: url },
			{ token: await adminToken() },
		);
		expect(res.status).toBe(200);
		expect(requested).toEqual([]);
	});
});

describe("discovery", () => {
	const issuer = "https://idp.test/realms/fleet";
	const discoveryUrl = `${issuer}/.well-known/openid-configuration`;
	const config = { ...REMOTE, OIDC_JWKS_URL: "", OIDC_ISSUER: issuer };
	const token = () => signToken({ roles: ["admin"] }, { issuer });

	it("finds the key set through the issuer's openid-configuration", async () => {
		const certs = `${issuer}/protocol/openid-connect/certs`;
		provider.set(discoveryUrl, () => Response.json({ issuer, jwks_uri: certs }));
		provider.set(certs, jwks(trustedPublicJwk()));

		expect((await call("/api/device-models", config, { token: await token() })).status).toBe(200);
		expect(requested).toEqual([discoveryUrl, certs]);
		// Both the discovery document and the key set are kept.
		expect((await call("/api/device-models", config, { token: await token() })).status).toBe(200);
		expect(requested).toHaveLength(2);
	});

	it("still checks the issuer of the token against OIDC_ISSUER", async () => {
		const other = "https://idp.test/realms/other";
		const certs = `${other}/certs`;
		provider.set(`${other}/.well-known/openid-configuration`, () =>
			Response.json({ jwks_uri: certs }),
		);
		provider.set(certs, jwks(trustedPublicJwk()));
		const res = await call(
			"/api/device-models",
			{ ...config, OIDC_ISSUER: other },
			{ token: await adminToken() },
		);
		await expectError(res, 401, "TOKEN_INVALID");
	});

	it.each<[string, Answer]>([
		["is missing", () => new Response("no", { status: 404 })],
		[
			"cannot be fetched",
			() => {
				throw new TypeError("Network connection lost.");
			},
		],
		["is not JSON", () => new Response("<html>", { status: 200 })],
		["has no jwks_uri", () => Response.json({ issuer: "x" })],
		["has a jwks_uri that is no URL", () => Response.json({ jwks_uri: "certs" })],
	])("answers 503 AUTH_UNAVAILABLE when the document %s, and retries", async (name, answer) => {
		const failing = `https://idp.test/failing/${encodeURIComponent(name)}`;
		const url = `${failing}/.well-known/openid-configuration`;
		provider.set(url, answer);
		const failingConfig = { ...config, OIDC_ISSUER: failing };
		const failingToken = await signToken({ roles: ["admin"] }, { issuer: failing });

		const res = await call("/api/device-models", failingConfig, { token: failingToken });
		await expectError(res, 503, "AUTH_UNAVAILABLE");
		provider.set(url, () => Response.json({ jwks_uri: `${failing}/certs` }));
		provider.set(`${failing}/certs`, jwks(trustedPublicJwk()));
		expect((await call("/api/device-models", failingConfig, { token: failingToken })).status).toBe(
			200,
		);
	});
});

describe("key rotation", () => {
	const start = new Date("2031-01-02T03:04:05Z");
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(start);
	});

	it("refetches the remote set for a new kid (after the cooldown) and accepts the token", async () => {
		const url = "https://keys.test/rotation/jwks";
		const config = { ...REMOTE, OIDC_JWKS_URL: url };
		const next = await foreignKey("ES256", "rotated-2");
		provider.set(url, jwks(trustedPublicJwk()));
		expect((await call("/api/device-models", config, { token: await adminToken() })).status).toBe(
			200,
		);

		// The provider publishes a new key; a token under it arrives 31 s later.
		provider.set(url, jwks(trustedPublicJwk(), next.publicJwk));
		vi.setSystemTime(start.getTime() + 31_000);
		const res = await call("/api/device-models", config, {
			token: await signWith(next, { roles: ["admin"] }),
		});
		expect(res.status).toBe(200);
		expect(requested).toEqual([url, url]);
	});

	it("does not refetch within the cooldown however many unknown kids arrive", async () => {
		const url = "https://keys.test/cooldown/jwks";
		const config = { ...REMOTE, OIDC_JWKS_URL: url };
		provider.set(url, jwks(trustedPublicJwk()));
		expect((await call("/api/device-models", config, { token: await adminToken() })).status).toBe(
			200,
		);

		vi.setSystemTime(start.getTime() + 29_000);
		for (const kid of ["k1", "k2", "../../etc/passwd", "https://evil.test/jwks", "' OR 1=1"]) {
			const res = await call("/api/device-models", config, {
				token: await signToken({ roles: ["admin"] }, { kid }),
			});
			await expectError(res, 401, "TOKEN_INVALID");
		}
		expect(requested).toEqual([url]);
	});

	it("never fetches a URL named by the token (jku) or its kid", async () => {
		const url = "https://keys.test/jku/jwks";
		const config = { ...REMOTE, OIDC_JWKS_URL: url };
		provider.set(url, jwks(trustedPublicJwk()));
		const attacker = await foreignKey("ES256", "https://evil.test/jwks.json");
		provider.set("https://evil.test/jwks.json", jwks(attacker.publicJwk));
		const token = await signWith(
			attacker,
			{ roles: ["admin"] },
			{ jku: "https://evil.test/jwks.json" },
		);

		await expectError(await call("/api/device-models", config, { token }), 401, "TOKEN_INVALID");
		expect(requested.every((u) => u === url)).toBe(true);
		expect(requested.length).toBeGreaterThan(0);
	});

	it("stops accepting a key the provider removed once the cached set ages out", async () => {
		const url = "https://keys.test/revoked/jwks";
		const config = { ...REMOTE, OIDC_JWKS_URL: url };
		const old = await foreignKey("ES256", "old-1");
		provider.set(url, jwks(old.publicJwk, trustedPublicJwk()));
		const oldToken = () => signWith(old, { roles: ["admin"] });
		expect((await call("/api/device-models", config, { token: await oldToken() })).status).toBe(
			200,
		);

		provider.set(url, jwks(trustedPublicJwk()));
		vi.setSystemTime(start.getTime() + 11 * 60_000);
		const res = await call("/api/device-models", config, { token: await oldToken() });
		await expectError(res, 401, "TOKEN_INVALID");
		expect((await call("/api/device-models", config, { token: await adminToken() })).status).toBe(
			200,
		);
		expect(requested).toEqual([url, url]);
	});
});

describe("without configuration", () => {
	it.each<[string, Partial<Env>]>([
		["no OIDC_ISSUER", { OIDC_ISSUER: undefined }],
		["an empty OIDC_ISSUER (the shipped default)", { OIDC_ISSUER: "" }],
		["a blank OIDC_ISSUER", { OIDC_ISSUER: "   " }],
		["no OIDC_AUDIENCE", { OIDC_AUDIENCE: undefined }],
	])("answers 503 AUTH_NOT_CONFIGURED with %s, token or not", async (_, overrides) => {
		const token = await adminToken();
		await expectError(
			await call("/api/device-models", overrides, { token }),
			503,
			"AUTH_NOT_CONFIGURED",
		);
		await expectError(await call("/api/devices", overrides), 503, "AUTH_NOT_CONFIGURED");
		expect(requested).toEqual([]);
	});

	it.each<[string, string]>([
		["is not JSON", "{keys"],
		["is no key set", '{"keys":"x"}'],
		["has no keys", '{"keys":[]}'],
	])("answers 503 AUTH_NOT_CONFIGURED, token or not, when OIDC_JWKS %s", async (_, jwksText) => {
		const res = await call(
			"/api/device-models",
			{ OIDC_JWKS: jwksText },
			{ token: await adminToken() },
		);
		await expectError(res, 503, "AUTH_NOT_CONFIGURED");
		const anonymous = await call("/api/device-models", { OIDC_JWKS: jwksText });
		await expectError(anonymous, 503, "AUTH_NOT_CONFIGURED");
		expect(requested).toEqual([]);
	});

	it("keeps the public endpoints open", async () => {
		const none = { OIDC_ISSUER: undefined, OIDC_JWKS: undefined, OIDC_JWKS_URL: undefined };
		const health = await call("/api/health", none);
		expect(health.status).toBe(200);
		expect(await health.json()).toEqual({ status: "ok" });
		const doc = await call("/api/openapi.json", none);
		expect(doc.status).toBe(200);
		expect(await doc.json()).toMatchObject({ openapi: "3.1.0" });
	});

	it("does not fall back to the issuer's discovery when the issuer is missing", async () => {
		const res = await call(
			"/api/device-models",
			{ OIDC_ISSUER: undefined, OIDC_JWKS: undefined, OIDC_JWKS_URL: "https://keys.test/x" },
			{ token: await signToken({ roles: ["admin"] }, { issuer: ISSUER }) },
		);
		await expectError(res, 503, "AUTH_NOT_CONFIGURED");
		expect(requested).toEqual([]);
	});
});
