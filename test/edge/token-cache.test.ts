import type { JWK } from "jose";
import {
	afterEach,
	beforeAll,
	beforeEach,
	describe,
	expect,
	it,
	type MockInstance,
	vi,
} from "vitest";
import type { Env } from "../../src/env";
import { api, errorOf } from "../helpers/api";
import { createDevice, createModel, fetchWithEnv } from "../helpers/fleet";
import { foreignKey, signWith, trustedPublicJwk } from "../helpers/jwt-forge";
import { deviceToken, signToken } from "../helpers/tokens";

/**
 * SPEC §12: a verified token is remembered by the isolate until it expires, so a device's
 * signature check runs once, not per range. Time is moved with a fake Date (jose and the cache
 * share the Worker's clock); signature checks are counted on crypto.subtle.verify.
 */

let device: { key: string; token: string };
let verify: MockInstance<SubtleCrypto["verify"]>;
let now: number;

beforeAll(async () => {
	await createModel("edge_tokens");
	device = await createDevice("edge_tokens");
});

beforeEach(() => {
	vi.useFakeTimers({ toFake: ["Date"] });
	now = Date.UTC(2030, 5, 1);
	vi.setSystemTime(now);
	verify = vi.spyOn(crypto.subtle, "verify");
});
afterEach(() => {
	verify.mockRestore();
	vi.useRealTimers();
});

function advance(seconds: number): void {
	now += seconds * 1000;
	vi.setSystemTime(now);
}

const asDevice = (token: string, overrides: Partial<Env> = {}) =>
	fetchWithEnv(overrides, "/api/iot/firmware-version", { token });

async function expectRefused(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

describe("a verified token", () => {
	it("has its signature checked once for a whole partial download's requests", async () => {
		const token = await deviceToken("edge_tokens", device.key);
		for (let i = 0; i < 34; i++) expect((await asDevice(token)).status).toBe(200);
		expect(verify).toHaveBeenCalledTimes(1);
		// Another token of the same device is another check.
		const second = await signToken({ azp: `iotdevice-edge_tokens-${device.key}` });
		expect((await asDevice(second)).status).toBe(200);
		expect(verify).toHaveBeenCalledTimes(2);
	});

	it("is refused once it expires, even though it was remembered", async () => {
		const token = await signToken(
			{ azp: `iotdevice-edge_tokens-${device.key}` },
			{ expiresIn: "60s" },
		);
		expect((await asDevice(token)).status).toBe(200);
		advance(60 + 29); // past exp, within the 30 s clock skew: still valid, still remembered
		expect((await asDevice(token)).status).toBe(200);
		expect(verify).toHaveBeenCalledTimes(1);
		advance(1);
		await expectRefused(await asDevice(token), 401, "TOKEN_EXPIRED");
		await expectRefused(await asDevice(token), 401, "TOKEN_EXPIRED");
	});

	it("is checked again after ten minutes, even when it lives longer", async () => {
		const token = await signToken(
			{ azp: `iotdevice-edge_tokens-${device.key}` },
			{ expiresIn: "2h" },
		);
		expect((await asDevice(token)).status).toBe(200);
		advance(599);
		expect((await asDevice(token)).status).toBe(200);
		expect(verify).toHaveBeenCalledTimes(1);
		advance(1);
		expect((await asDevice(token)).status).toBe(200);
		expect(verify).toHaveBeenCalledTimes(2);
	});

	it("is verified again under another issuer, audience or key set", async () => {
		const token = await deviceToken("edge_tokens", device.key);
		expect((await asDevice(token)).status).toBe(200);
		await expectRefused(await asDevice(token, { OIDC_AUDIENCE: "other" }), 401, "TOKEN_INVALID");
		await expectRefused(
			await asDevice(token, { OIDC_ISSUER: "https://id.other.example" }),
			401,
			"TOKEN_INVALID",
		);
		const stranger = await foreignKey("ES256", "test-key-1");
		await expectRefused(
			await asDevice(token, { OIDC_JWKS: JSON.stringify({ keys: [stranger.publicJwk] }) }),
			401,
			"TOKEN_INVALID",
		);
		// Under the configuration it was verified with, it is still the remembered answer.
		expect((await asDevice(token)).status).toBe(200);
	});

	it("carries its roles: a remembered admin token stays an admin's, a device's a device's", async () => {
		const admin = await signToken({ realm_access: { roles: ["admin"] } });
		for (let i = 0; i < 2; i++) {
			expect((await api("/api/device-models", { token: admin })).status).toBe(200);
			await expectRefused(await asDevice(admin), 403, "NOT_A_DEVICE");
		}
		const token = await deviceToken("edge_tokens", device.key);
		for (let i = 0; i < 2; i++) {
			await expectRefused(await api("/api/device-models", { token }), 403, "FORBIDDEN");
		}
		expect(verify).toHaveBeenCalledTimes(2);
	});
});

describe("a refused token", () => {
	it("is checked again every time, never remembered", async () => {
		const stranger = await foreignKey("ES256", "test-key-1");
		const forged = await signWith(stranger, { azp: `iotdevice-edge_tokens-${device.key}` });
		for (let i = 0; i < 3; i++) await expectRefused(await asDevice(forged), 401, "TOKEN_INVALID");
		expect(verify).toHaveBeenCalledTimes(3);
	});

	it("is accepted once it becomes valid: a refusal is not remembered either", async () => {
		const early = await signToken({
			azp: `iotdevice-edge_tokens-${device.key}`,
			nbf: Math.floor(now / 1000) + 90,
		});
		await expectRefused(await asDevice(early), 401, "TOKEN_INVALID");
		advance(61); // nbf is now within the 30 s skew
		expect((await asDevice(early)).status).toBe(200);
	});
});

describe("key rotation at the provider", () => {
	const url = "https://keys.test/edge-rotation/jwks";
	let published: JWK[];
	let fetchSpy: MockInstance<typeof fetch>;
	beforeEach(() => {
		fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
			const asked = input instanceof Request ? input.url : String(input);
			if (asked !== url) return new Response("not here", { status: 404 });
			return Response.json({ keys: published });
		});
	});
	afterEach(() => fetchSpy.mockRestore());

	it("stops vouching for a remembered token within ten minutes of its key's removal", async () => {
		const remote = { OIDC_JWKS: undefined, OIDC_JWKS_URL: url } satisfies Partial<Env>;
		const old = await foreignKey("ES256", "edge-old");
		published = [old.publicJwk, trustedPublicJwk()];
		const token = await signWith(old, { azp: `iotdevice-edge_tokens-${device.key}` });
		expect((await asDevice(token, remote)).status).toBe(200);

		published = [trustedPublicJwk()]; // the provider drops the old key
		advance(9 * 60);
		expect((await asDevice(token, remote)).status).toBe(200);
		advance(60 + 1);
		await expectRefused(await asDevice(token, remote), 401, "TOKEN_INVALID");
	});
});
