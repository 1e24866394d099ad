import { base64url, exportSPKI, importJWK } from "jose";
import { describe, expect, it } from "vitest";
import { rolesOf } from "../../src/auth/roles";
import { api, errorOf } from "../helpers/api";
import {
	encodePart,
	foreignKey,
	signRaw,
	signWith,
	trustedPrivateKey,
	trustedPublicJwk,
	unsignedToken,
	validClaims,
} from "../helpers/jwt-forge";
import { AUDIENCE, adminToken, signToken } from "../helpers/tokens";

const ADMIN = { realm_access: { roles: ["admin"] } };
const listModels = (token: string) => api("/api/device-models", { token });
const withHeader = (authorization: string) =>
	api("/api/device-models", { headers: { authorization } });
const signTrusted = async (header: Record<string, unknown>, payload: object | string) =>
	signRaw({ alg: "ES256", kid: "test-key-1", ...header }, payload, await trustedPrivateKey());

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

describe("forged signatures", () => {
	it("refuses alg none (unsigned) with 401 TOKEN_INVALID", async () => {
		for (const alg of ["none", "None", "NONE", "nOnE"]) {
			const token = unsignedToken({ alg, typ: "JWT", kid: "test-key-1" }, validClaims(ADMIN));
			await expectError(await listModels(token), 401, "TOKEN_INVALID");
		}
	});

	it("refuses alg none that carries a leftover signature", async () => {
		const signed = await signTrusted({}, validClaims(ADMIN));
		const [, payload, signature] = signed.split(".");
		const token = `${encodePart({ alg: "none", kid: "test-key-1" })}.${payload}.${signature}`;
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it("refuses HS256 keyed with the trusted public key (algorithm confusion)", async () => {
		const jwk = trustedPublicJwk();
		const { x, y, kty, crv } = jwk;
		const spki = await exportSPKI((await importJWK(jwk, "ES256")) as CryptoKey);
		const secrets = [
			JSON.stringify(jwk),
			JSON.stringify({ crv, kty, x, y }),
			spki,
			spki.replace(/-----[A-Z ]+-----|\s/g, ""),
		].map((s) => new TextEncoder().encode(s));
		// The raw uncompressed point 0x04 || x || y, as some libraries hand it to HMAC.
		const point = new Uint8Array([
			4,
			...base64url.decode(String(x)),
			...base64url.decode(String(y)),
		]);
		for (const alg of ["HS256", "HS384", "HS512"]) {
			for (const secret of [...secrets, point]) {
				const token = await signRaw({ alg, kid: "test-key-1" }, validClaims(ADMIN), secret);
				await expectError(await listModels(token), 401, "TOKEN_INVALID");
			}
		}
	});

	it("refuses a token signed by another ES256 key that claims the trusted kid", async () => {
		const impostor = await foreignKey("ES256", "test-key-1");
		await expectError(await listModels(await signWith(impostor, ADMIN)), 401, "TOKEN_INVALID");
	});

	it("refuses an RS256 token from an untrusted key, under its own kid or the trusted one", async () => {
		const rsa = await foreignKey("RS256", "rsa-1");
		await expectError(await listModels(await signWith(rsa, ADMIN)), 401, "TOKEN_INVALID");
		const borrowedKid = await signWith(rsa, ADMIN, { kid: "test-key-1" });
		await expectError(await listModels(borrowedKid), 401, "TOKEN_INVALID");
	});

	it("refuses a token whose header embeds its own key (jwk) or points at one (jku, x5u)", async () => {
		const attacker = await foreignKey("ES256", "test-key-1");
		for (const header of [
			{ jwk: attacker.publicJwk },
			{ jku: "https://evil.example/jwks.json" },
			{ x5u: "https://evil.example/cert.pem" },
		]) {
			const token = await signWith(attacker, ADMIN, header);
			await expectError(await listModels(token), 401, "TOKEN_INVALID");
		}
	});

	it("refuses a trusted signature moved onto another payload", async () => {
		const [header, , signature] = (await signToken({ roles: ["pipeline"] })).split(".");
		const forged = `${header}.${encodePart(validClaims(ADMIN))}.${signature}`;
		await expectError(await listModels(forged), 401, "TOKEN_INVALID");
	});

	it("refuses a valid token whose signature was truncated or emptied", async () => {
		const token = await adminToken();
		await expectError(await listModels(token.slice(0, -4)), 401, "TOKEN_INVALID");
		await expectError(
			await listModels(token.slice(0, token.lastIndexOf(".") + 1)),
			401,
			"TOKEN_INVALID",
		);
	});

	it("refuses an unknown kid with 401 TOKEN_INVALID", async () => {
		const res = await listModels(await signToken(ADMIN, { kid: "test-key-2" }));
		await expectError(res, 401, "TOKEN_INVALID");
	});

	it("refuses a trusted ES256 signature relabelled as another algorithm", async () => {
		const [, payload, signature] = (await signTrusted({}, validClaims(ADMIN))).split(".");
		for (const alg of ["ES384", "ES512", "RS256", "PS256", "EdDSA"]) {
			const relabelled = `${encodePart({ alg, kid: "test-key-1" })}.${payload}.${signature}`;
			await expectError(await listModels(relabelled), 401, "TOKEN_INVALID");
		}
	});
});

describe("malformed tokens", () => {
	it.each([
		["one part", "abcdef"],
		["two parts", "eyJhbGciOiJFUzI1NiJ9.e30"],
		["four parts", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln.c2ln"],
		["five parts (a JWE shape)", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"],
		["empty parts", ".."],
		["bad base64 lengths", "a.b.c"],
		["padding inside a part", "eyJhbGciOiJFUzI1NiJ9==.e30=.c2ln"],
		["standard base64 characters", "eyJhbGciOiJFUzI1NiJ9.e30+/.c2ln"],
		["a header that is not JSON", `${encodePart("not json")}.${encodePart({})}.c2ln`],
		["a header that is a JSON array", `${encodePart("[1]")}.${encodePart({})}.c2ln`],
		["a header without alg", `${encodePart({ kid: "test-key-1" })}.${encodePart({})}.c2ln`],
	])("refuses %s with 401 TOKEN_INVALID", async (_, token) => {
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it.each([
		["not JSON", "{nope"],
		["a JSON array", "[1,2,3]"],
		["a JSON string", '"admin"'],
		["JSON with trailing garbage", `${JSON.stringify(validClaims(ADMIN))}xyz`],
		["empty", ""],
	])("refuses a correctly signed payload that is %s", async (_, payload) => {
		await expectError(await listModels(await signTrusted({}, payload)), 401, "TOKEN_INVALID");
	});

	it("refuses a header that is not 'Bearer <token>' because of stray characters", async () => {
		const token = await adminToken();
		for (const value of [`${token}!`, `${token};drop`, `${token} ${token}`, `"${token}"`]) {
			await expectError(await withHeader(`Bearer ${value}`), 401, "AUTH_REQUIRED");
		}
	});
});

describe("oversized and deeply nested tokens", () => {
	it("refuses a header over 16 KiB with 401 even when the token is validly signed", async () => {
		const token = await signToken({ ...ADMIN, padding: "x".repeat(20_000) });
		expect(token.length).toBeGreaterThan(16_384);
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it("draws the line at exactly 16 KiB of header", async () => {
		const token = await signToken({ ...ADMIN, padding: "x".repeat(12_000) });
		const header = (total: number) => `Bearer${" ".repeat(total - 6 - token.length)}${token}`;
		expect(header(16_384)).toHaveLength(16_384);
		expect((await withHeader(header(16_384))).status).toBe(200);
		await expectError(await withHeader(header(16_385)), 401, "TOKEN_INVALID");
	});

	it("refuses a megabyte of header without a crash", async () => {
		await expectError(await withHeader(`Bearer ${"a".repeat(1 << 20)}`), 401, "TOKEN_INVALID");
	});

	it("refuses 10 000-deep arrays in roles (over the size limit) with 401", async () => {
		const deep = `${"[".repeat(10_000)}"admin"${"]".repeat(10_000)}`;
		const claims = JSON.stringify(validClaims());
		const payload = `${claims.slice(0, -1)},"roles":${deep}}`;
		await expectError(await listModels(await signTrusted({}, payload)), 401, "TOKEN_INVALID");
	});

	it.each([
		["roles", (deep: string) => `"roles":${deep}`],
		["realm_access.roles", (deep: string) => `"realm_access":{"roles":${deep}}`],
		["resource_access", (deep: string) => `"resource_access":{"${AUDIENCE}":{"roles":${deep}}}`],
		["azp", (deep: string) => `"azp":${deep}`],
	])("handles the deepest arrays that fit in %s without a crash (403)", async (_, claim) => {
		const depth = 5_500;
		const deep = `${"[".repeat(depth)}"admin"${"]".repeat(depth)}`;
		const claims = JSON.stringify(validClaims());
		const token = await signTrusted({}, `${claims.slice(0, -1)},${claim(deep)}}`);
		expect(token.length).toBeLessThan(16_384 - 7);
		await expectError(await listModels(token), 403, "FORBIDDEN");
	});

	it("handles deeply nested objects in realm_access without a crash (403)", async () => {
		const depth = 1_100;
		const deep = `${'{"roles":'.repeat(depth)}["admin"]${"}".repeat(depth)}`;
		const claims = JSON.stringify(validClaims());
		const token = await signTrusted({}, `${claims.slice(0, -1)},"realm_access":${deep}}`);
		expect(token.length).toBeLessThan(16_384 - 7);
		// realm_access.roles is an object here, not an array of strings: no role at all.
		await expectError(await listModels(token), 403, "FORBIDDEN");
	});

	it("reads roles from a 100 000-deep claim set without recursing into it", () => {
		const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown;
		const payload = {
			roles: [deep, "pipeline"],
			realm_access: { roles: deep },
			resource_access: { [AUDIENCE]: { roles: [deep] } },
		};
		expect([...rolesOf(payload, AUDIENCE)]).toEqual(["pipeline"]);
	});
});

describe("role claims that try to look like admin", () => {
	it.each([
		["roles as a string", { roles: "admin" }],
		["roles in another case", { roles: ["Admin", "ADMIN"] }],
		["roles with spaces", { roles: [" admin", "admin "] }],
		["roles as an object", { roles: { admin: true } }],
		["roles nested one level", { roles: [["admin"]] }],
		["realm_access.roles as a string", { realm_access: { roles: "admin" } }],
		["realm_access as an array", { realm_access: [{ roles: ["admin"] }] }],
		[
			"realm_access through __proto__",
			{ realm_access: JSON.parse('{"__proto__":{"roles":["admin"]}}') },
		],
		["a top-level __proto__", JSON.parse('{"__proto__":{"roles":["admin"]}}')],
		["resource_access of another client", { resource_access: { account: { roles: ["admin"] } } }],
		[
			"resource_access through __proto__",
			{ resource_access: JSON.parse(`{"__proto__":{"${AUDIENCE}":{"roles":["admin"]}}}`) },
		],
		["a scope claim", { scope: "admin openid", scp: ["admin"] }],
		["a groups claim", { groups: ["admin"] }],
	])("refuses %s with 403 FORBIDDEN", async (_, claims) => {
		await expectError(
			await listModels(await signTrusted({}, validClaims(claims))),
			403,
			"FORBIDDEN",
		);
	});
});

describe("kid injection", () => {
	it.each([
		["a path traversal", "../../etc/passwd"],
		["a URL", "https://evil.example/jwks.json"],
		["SQL", "test-key-1' OR '1'='1"],
		["SQL with a comment", "x'; DROP TABLE devices; --"],
		["a NUL byte", "test-key-1\u0000"],
		["a very long kid", "k".repeat(10_000)],
		["an empty kid", ""],
	])("refuses %s as kid with 401 TOKEN_INVALID", async (_, kid) => {
		await expectError(await listModels(await signToken(ADMIN, { kid })), 401, "TOKEN_INVALID");
	});

	it.each([
		["a number", 1],
		["an array", ["test-key-1"]],
		["an object", { $ne: null }],
	])("refuses %s as kid with 401 TOKEN_INVALID", async (_, kid) => {
		const token = await signTrusted({ kid }, validClaims(ADMIN));
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it("leaves the devices table intact after SQL in the kid", async () => {
		await api("/api/device-models", {
			token: await adminToken(),
			json: { code: "kid_probe", name: "Probe" },
		});
		await listModels(await signToken(ADMIN, { kid: "x'; DROP TABLE device_models; --" }));
		const res = await api("/api/device-models/kid_probe", { token: await adminToken() });
		expect(res.status).toBe(200);
	});
});
