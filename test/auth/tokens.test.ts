import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, errorOf } from "../helpers/api";
import { nowSeconds, signRaw, trustedPrivateKey, validClaims } from "../helpers/jwt-forge";
import { AUDIENCE, adminToken, ISSUER, signToken } from "../helpers/tokens";

const ADMIN = { realm_access: { roles: ["admin"] } };
/** An admin endpoint: 200 proves the token was accepted as an admin's. */
const listModels = (token: string) => api("/api/device-models", { token });
const withHeader = (authorization: string) =>
	api("/api/device-models", { headers: { authorization } });

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

describe("a valid token", () => {
	it("lets an admin in", async () => {
		const res = await listModels(await adminToken());
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ device_models: [], count: 0 });
	});

	it("is accepted with an audience array that contains ota-edge", async () => {
		const token = await signRaw(
			{ alg: "ES256", kid: "test-key-1" },
			validClaims({ ...ADMIN, aud: ["account", AUDIENCE, "broker"] }),
			await trustedPrivateKey(),
		);
		expect((await listModels(token)).status).toBe(200);
	});

	it("is refused with an audience array that lacks ota-edge", async () => {
		const token = await signRaw(
			{ alg: "ES256", kid: "test-key-1" },
			validClaims({ ...ADMIN, aud: ["account", "ota-edge-staging", "OTA-EDGE"] }),
			await trustedPrivateKey(),
		);
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it.each([
		["Bearer", "Bearer"],
		["lower-case bearer", "bearer"],
		["upper-case BEARER", "BEARER"],
	])("is accepted after %s", async (_, scheme) => {
		const res = await withHeader(`${scheme} ${await adminToken()}`);
		expect(res.status).toBe(200);
	});

	it("is accepted with extra spaces around the token", async () => {
		const res = await withHeader(`Bearer    ${await adminToken()}   `);
		expect(res.status).toBe(200);
	});
});

describe("token lifetime", () => {
	// Date is frozen so that "just inside" and "just outside" the 30 s skew are exact.
	const frozen = new Date("2031-05-06T07:08:09Z");
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(frozen);
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	const lifetime = async (claims: Record<string, unknown>) =>
		signRaw(
			{ alg: "ES256", kid: "test-key-1" },
			validClaims({ ...ADMIN, ...claims }),
			await trustedPrivateKey(),
		);

	it("refuses an expired token with 401 TOKEN_EXPIRED", async () => {
		const now = nowSeconds();
		const res = await listModels(await lifetime({ iat: now - 3600, exp: now - 31 }));
		await expectError(res, 401, "TOKEN_EXPIRED");
		expect(res.headers.get("www-authenticate")).toContain("Bearer");
	});

	it("accepts a token that expired within the clock skew", async () => {
		const now = nowSeconds();
		expect((await listModels(await lifetime({ iat: now - 3600, exp: now - 29 }))).status).toBe(200);
	});

	it("refuses a token that is not yet valid beyond the skew with 401 TOKEN_INVALID", async () => {
		const res = await listModels(await lifetime({ nbf: nowSeconds() + 31 }));
		await expectError(res, 401, "TOKEN_INVALID");
		expect(
			(await errorOf(await listModels(await lifetime({ nbf: nowSeconds() + 3600 })))).code,
		).toBe("TOKEN_INVALID");
	});

	it("accepts a token whose nbf is in the future within the skew", async () => {
		expect((await listModels(await lifetime({ nbf: nowSeconds() + 29 }))).status).toBe(200);
	});

	it("refuses a token with no expiry at all", async () => {
		const { exp: _exp, ...claims } = validClaims(ADMIN);
		const token = await signRaw(
			{ alg: "ES256", kid: "test-key-1" },
			claims,
			await trustedPrivateKey(),
		);
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it("refuses an expiry that is not a number", async () => {
		const res = await listModels(await lifetime({ exp: String(nowSeconds() + 600) }));
		await expectError(res, 401, "TOKEN_INVALID");
	});
});

describe("issuer and audience", () => {
	it.each([
		["another issuer", "https://evil.example"],
		["the issuer with a trailing slash", `${ISSUER}/`],
		["the issuer in another case", ISSUER.toUpperCase()],
	])("refuses %s with 401 TOKEN_INVALID", async (_, issuer) => {
		const token = await signToken(ADMIN, { issuer });
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it.each([
		["another audience", "account"],
		["a prefix of ours", "ota"],
		["ours with a suffix", "ota-edge-dev"],
	])("refuses %s with 401 TOKEN_INVALID", async (_, audience) => {
		const token = await signToken(ADMIN, { audience });
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});

	it.each([
		["iss", { iss: undefined }],
		["aud", { aud: undefined }],
	])("refuses a token without %s", async (_, claims) => {
		const token = await signRaw(
			{ alg: "ES256", kid: "test-key-1" },
			validClaims({ ...ADMIN, ...claims }),
			await trustedPrivateKey(),
		);
		await expectError(await listModels(token), 401, "TOKEN_INVALID");
	});
});

describe("the Authorization header", () => {
	it("is required: none at all is 401 AUTH_REQUIRED with a Bearer challenge", async () => {
		const res = await api("/api/device-models");
		await expectError(res, 401, "AUTH_REQUIRED");
		expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
	});

	it.each([
		["Basic credentials", "Basic YWRtaW46YWRtaW4="],
		["Bearer with nothing after it", "Bearer"],
		["Bearer with only spaces after it", "Bearer    "],
		["the token without a scheme", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"],
		["Bearer glued to the token", "BearereyJhbGciOiJFUzI1NiJ9.e30.c2ln"],
		["another scheme", "Token eyJhbGciOiJFUzI1NiJ9.e30.c2ln"],
	])("refuses %s with 401 AUTH_REQUIRED", async (_, authorization) => {
		await expectError(await withHeader(authorization), 401, "AUTH_REQUIRED");
	});

	it("refuses Basic even when the password is a valid token", async () => {
		const basic = btoa(`admin:${await adminToken()}`);
		await expectError(await withHeader(`Basic ${basic}`), 401, "AUTH_REQUIRED");
	});

	it("refuses two bearer tokens in one header, even when one is valid", async () => {
		// Two Authorization headers reach the Worker joined by a comma, as here.
		const res = await withHeader(`Bearer ${await adminToken()}, Bearer x.y.z`);
		await expectError(res, 401, "AUTH_REQUIRED");
	});

	it("does not take the token from the query string or a cookie", async () => {
		const token = await adminToken();
		const query = await api(`/api/device-models?access_token=${token}`);
		await expectError(query, 401, "AUTH_REQUIRED");
		const cookie = await api("/api/device-models", { headers: { cookie: `token=${token}` } });
		await expectError(cookie, 401, "AUTH_REQUIRED");
	});
});
