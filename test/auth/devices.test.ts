import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { api, errorOf } from "../helpers/api";
import { adminToken, deviceToken, pipelineToken, signToken } from "../helpers/tokens";

/** The device endpoint every device calls first; its model has no firmware in these tests. */
const FIRMWARE_VERSION = "/api/iot/firmware-version";
const NO_FIRMWARE = { firmware_version: null, sha256: null, size: null };

let admin: string;
let key: string;

async function createDevice(model: string): Promise<string> {
	const res = await api("/api/devices", { token: admin, json: { model_code: model } });
	expect(res.status).toBe(201);
	return (await res.json<{ key: string }>()).key;
}

beforeAll(async () => {
	admin = await adminToken();
	for (const code of ["thermo", "other"]) {
		const res = await api("/api/device-models", { token: admin, json: { code, name: code } });
		expect(res.status).toBe(201);
	}
	key = await createDevice("thermo");
});

const asDevice = async (claims: Record<string, unknown>) =>
	api(FIRMWARE_VERSION, { token: await signToken(claims) });

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

describe("a device token", () => {
	it("lets a registered, active device in through azp", async () => {
		const res = await api(FIRMWARE_VERSION, { token: await deviceToken("thermo", key) });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual(NO_FIRMWARE);
	});

	it("uses client_id when azp is absent", async () => {
		const res = await asDevice({ client_id: `iotdevice-thermo-${key}` });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual(NO_FIRMWARE);
	});

	it("prefers azp over client_id", async () => {
		const res = await asDevice({ azp: "ota-edge-ui", client_id: `iotdevice-thermo-${key}` });
		await expectError(res, 403, "NOT_A_DEVICE");
		const reverse = await asDevice({ azp: `iotdevice-thermo-${key}`, client_id: "ota-edge-ui" });
		expect(reverse.status).toBe(200);
	});

	it("answers 404 DEVICE_NOT_FOUND for a device that is not registered", async () => {
		const unknown = key === "aaaaaaaa" ? "bbbbbbbb" : "aaaaaaaa";
		const res = await api(FIRMWARE_VERSION, { token: await deviceToken("thermo", unknown) });
		await expectError(res, 404, "DEVICE_NOT_FOUND");
	});

	it("answers 404 DEVICE_NOT_FOUND once the device is deleted", async () => {
		const doomed = await createDevice("thermo");
		const token = await deviceToken("thermo", doomed);
		expect((await api(FIRMWARE_VERSION, { token })).status).toBe(200);
		const del = await api(`/api/devices/${doomed}`, { method: "DELETE", token: admin });
		expect(del.status).toBe(204);
		await expectError(await api(FIRMWARE_VERSION, { token }), 404, "DEVICE_NOT_FOUND");
	});

	it("answers 403 DEVICE_INACTIVE for a deactivated device, and lets it in again once active", async () => {
		const sleeper = await createDevice("thermo");
		const token = await deviceToken("thermo", sleeper);
		const off = await api(`/api/devices/${sleeper}`, {
			method: "PATCH",
			token: admin,
			json: { active: false },
		});
		expect(off.status).toBe(200);
		expect(await off.json()).toMatchObject({ key: sleeper, active: false });
		await expectError(await api(FIRMWARE_VERSION, { token }), 403, "DEVICE_INACTIVE");

		await api(`/api/devices/${sleeper}`, { method: "PATCH", token: admin, json: { active: true } });
		expect((await api(FIRMWARE_VERSION, { token })).status).toBe(200);
	});

	it("answers 401 DEVICE_MODEL_MISMATCH when azp names another model", async () => {
		const other = await api(FIRMWARE_VERSION, { token: await deviceToken("other", key) });
		await expectError(other, 401, "DEVICE_MODEL_MISMATCH");
		expect(other.headers.get("www-authenticate")).toContain("Bearer");
		const unknownModel = await api(FIRMWARE_VERSION, { token: await deviceToken("nosuch", key) });
		await expectError(unknownModel, 401, "DEVICE_MODEL_MISMATCH");
	});

	it("checks the device on every device endpoint, not only the version", async () => {
		const routes = deviceRoutes();
		expect(routes).toContainEqual({ method: "GET", path: "/api/iot/firmware-version" });
		const token = await deviceToken("other", key);
		for (const { method, path } of routes) {
			const res = await api(`${samplePath(path)}?chip=esp32&firmware_version=1.0.0`, {
				method,
				token,
				body: method === "POST" ? new Uint8Array([1, 2, 3]) : undefined,
			});
			await expectError(res, 401, "DEVICE_MODEL_MISMATCH");
		}
	});
});

/** Every route under /api/iot, as mounted now (so new device endpoints are covered too). */
function deviceRoutes(): { method: string; path: string }[] {
	const seen = new Map<string, { method: string; path: string }>();
	for (const { method, path } of app.routes) {
		if (method !== "ALL" && path.startsWith("/api/iot/"))
			seen.set(`${method} ${path}`, { method, path });
	}
	return [...seen.values()];
}

function samplePath(pattern: string): string {
	return pattern.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) =>
		name === "sha256" ? "a".repeat(64) : "x1",
	);
}

describe("tokens that are not a device's", () => {
	it("refuses an admin token on a device endpoint with 403 NOT_A_DEVICE", async () => {
		await expectError(await api(FIRMWARE_VERSION, { token: admin }), 403, "NOT_A_DEVICE");
	});

	it("refuses a pipeline token on a device endpoint with 403 NOT_A_DEVICE", async () => {
		const res = await api(FIRMWARE_VERSION, { token: await pipelineToken() });
		await expectError(res, 403, "NOT_A_DEVICE");
	});

	it.each([
		["a placeholder model and key", () => "iotdevice-X-.."],
		["an upper-case key", () => `iotdevice-thermo-${key.toUpperCase()}`],
		["an upper-case model", () => `iotdevice-THERMO-${key}`],
		["an upper-case prefix", () => `IOTDEVICE-thermo-${key}`],
		["an extra dash inside", () => `iotdevice-thermo-x-${key}`],
		["a doubled dash", () => `iotdevice-thermo--${key}`],
		["a trailing dash", () => `iotdevice-thermo-${key}-`],
		["a suffix after the key", () => `iotdevice-thermo-${key}-extra`],
		["no model", () => `iotdevice--${key}`],
		["no key", () => "iotdevice-thermo-"],
		["a short key", () => `iotdevice-thermo-${key.slice(0, 7)}`],
		["a long key", () => `iotdevice-thermo-${key}a`],
		["a model over 50 characters", () => `iotdevice-${"a".repeat(51)}-${key}`],
		["a trailing newline", () => `iotdevice-thermo-${key}\n`],
		["a leading space", () => ` iotdevice-thermo-${key}`],
		["another prefix", () => `device-thermo-${key}`],
		["SQL in the key", () => "iotdevice-thermo-' OR 1=1"],
		["a path in the model", () => `iotdevice-../thermo-${key}`],
	])("refuses an azp with %s with 403 NOT_A_DEVICE", async (_, azp) => {
		await expectError(await asDevice({ azp: azp() }), 403, "NOT_A_DEVICE");
	});

	it.each([
		["a number", 42],
		["an array", ["iotdevice-thermo-abcdefgh"]],
		["an object", { id: "iotdevice-thermo-abcdefgh" }],
		["null", null],
		["an empty string", ""],
	])("refuses an azp that is %s with 403 NOT_A_DEVICE", async (_, azp) => {
		await expectError(await asDevice({ azp }), 403, "NOT_A_DEVICE");
	});

	it("takes the device identity from azp or client_id only, never sub or roles", async () => {
		// Neither a subject that looks like a device nor the admin role makes the token a device.
		const res = await asDevice({ roles: ["admin"], sub: `iotdevice-thermo-${key}` });
		await expectError(res, 403, "NOT_A_DEVICE");
	});
});
