import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDevice as createDeviceRow, newDeviceKey } from "../src/services/devices";
import { api, errorOf } from "./helpers/api";
import { createModel } from "./helpers/fleet";
import { adminToken, pipelineToken } from "./helpers/tokens";

let admin: string;
beforeAll(async () => {
	admin = await adminToken();
	await createModel("dev_model");
	await createModel("dev_other");
});

describe("devices", () => {
	it("registers a device with a fresh base32 key and its client id", async () => {
		const res = await api("/api/devices", {
			token: admin,
			json: { model_code: "dev_model", name: "Bench" },
		});
		expect(res.status).toBe(201);
		const device = await res.json<Record<string, unknown>>();
		expect(device.key).toMatch(/^[a-z2-7]{8}$/);
		expect(device).toMatchObject({
			model_code: "dev_model",
			name: "Bench",
			active: true,
			client_id: `iotdevice-dev_model-${device.key}`,
			last_coredump_at: null,
		});
	});

	it("draws base32 keys of 8 characters from 40 random bits", () => {
		const keys = new Set(Array.from({ length: 2000 }, newDeviceKey));
		expect(keys.size).toBe(2000);
		for (const key of keys) expect(key).toMatch(/^[a-z2-7]{8}$/);
	});

	it("retries with another key when the drawn key is taken", async () => {
		const taken = (
			await (
				await api("/api/devices", { token: admin, json: { model_code: "dev_model" } })
			).json<{ key: string }>()
		).key;
		const draws = [taken, taken, "zzzz2345"];
		const device = await createDeviceRow(
			env.DB,
			{ model_code: "dev_model" },
			() => draws.shift() ?? "",
		);
		expect(device.key).toBe("zzzz2345");
	});

	it("answers 404 for an unknown model", async () => {
		const res = await api("/api/devices", { token: admin, json: { model_code: "nope" } });
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("MODEL_NOT_FOUND");
	});

	it("lists devices, all or of one model", async () => {
		await api("/api/devices", { token: admin, json: { model_code: "dev_other" } });
		const all = await (await api("/api/devices", { token: admin })).json<{
			devices: { model_code: string }[];
			count: number;
		}>();
		expect(all.count).toBe(all.devices.length);
		expect(new Set(all.devices.map((d) => d.model_code))).toEqual(
			new Set(["dev_model", "dev_other"]),
		);
		const one = await (await api("/api/devices?model=dev_other", { token: admin })).json<{
			devices: { model_code: string }[];
		}>();
		expect(one.devices.every((d) => d.model_code === "dev_other")).toBe(true);
		const bad = await api("/api/devices?model=BAD!", { token: admin });
		expect(bad.status).toBe(400);
	});

	it("gets, patches and deletes a device", async () => {
		const { key } = await (
			await api("/api/devices", { token: admin, json: { model_code: "dev_model" } })
		).json<{ key: string }>();
		expect((await api(`/api/devices/${key}`, { token: admin })).status).toBe(200);
		const patched = await api(`/api/devices/${key}`, {
			method: "PATCH",
			token: admin,
			json: { name: "Renamed", active: false },
		});
		expect(await patched.json()).toMatchObject({ key, name: "Renamed", active: false });
		const cleared = await api(`/api/devices/${key}`, {
			method: "PATCH",
			token: admin,
			json: { name: null },
		});
		expect(await cleared.json()).toMatchObject({ name: null, active: false });
		expect((await api(`/api/devices/${key}`, { method: "DELETE", token: admin })).status).toBe(204);
		const gone = await api(`/api/devices/${key}`, { token: admin });
		expect(gone.status).toBe(404);
		expect((await errorOf(gone)).code).toBe("DEVICE_NOT_FOUND");
		expect((await api(`/api/devices/${key}`, { method: "DELETE", token: admin })).status).toBe(404);
	});

	it("validates keys and bodies", async () => {
		expect((await api("/api/devices/SHORT", { token: admin })).status).toBe(400);
		expect(
			(
				await api("/api/devices/abcdefgh", {
					method: "PATCH",
					token: admin,
					json: { active: "yes" },
				})
			).status,
		).toBe(400);
		expect(
			(
				await api("/api/devices", {
					token: admin,
					json: { model_code: "dev_model", key: "abcdefgh" },
				})
			).status,
		).toBe(400);
	});

	it("is for admins only", async () => {
		const res = await api("/api/devices", { token: await pipelineToken() });
		expect(res.status).toBe(403);
	});
});

describe("routing", () => {
	it("answers unknown routes with 404 ROUTE_NOT_FOUND and wrong methods with 405 and Allow", async () => {
		const missing = await api("/api/nothing-here");
		expect(missing.status).toBe(404);
		expect((await errorOf(missing)).code).toBe("ROUTE_NOT_FOUND");
		const wrong = await api("/api/devices/abcdefgh", { method: "PUT", token: admin, json: {} });
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get("allow")).toBe("DELETE, GET, HEAD, PATCH");
		expect((await errorOf(wrong)).code).toBe("METHOD_NOT_ALLOWED");
	});

	it("serves health and an OpenAPI 3.1 document that lists every endpoint", async () => {
		expect(await (await api("/api/health")).json()).toEqual({ status: "ok" });
		const doc = await (await api("/api/openapi.json")).json<{
			openapi: string;
			paths: Record<string, unknown>;
		}>();
		expect(doc.openapi).toBe("3.1.0");
		for (const path of [
			"/api/device-models",
			"/api/device-models/{code}",
			"/api/devices",
			"/api/devices/{key}",
			"/api/device-models/{code}/firmware/versions/{version}/activate",
			"/api/pipeline/models/{code}/firmware",
			"/api/iot/firmware/{sha256}",
		]) {
			expect(Object.keys(doc.paths)).toContain(path);
		}
	});
});
