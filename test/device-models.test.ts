import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, errorOf } from "./helpers/api";
import { adminToken, deviceToken, pipelineToken } from "./helpers/tokens";

let admin: string;
beforeAll(async () => {
	admin = await adminToken();
});

describe("device models", () => {
	it("creates, lists, gets, patches and deletes a model", async () => {
		const created = await api("/api/device-models", {
			token: admin,
			json: { code: "thermo_v2", name: "Thermostat", chip: "esp32c3" },
		});
		expect(created.status).toBe(201);
		const model = await created.json<Record<string, unknown>>();
		expect(model).toMatchObject({
			code: "thermo_v2",
			name: "Thermostat",
			chip: "esp32c3",
			firmware_version: null,
			device_count: 0,
		});
		expect(model.created_at).toBe(model.updated_at);

		await api("/api/device-models", { token: admin, json: { code: "alpha", name: "A" } });
		const list = await (await api("/api/device-models", { token: admin })).json<{
			device_models: { code: string; chip: string | null }[];
			count: number;
		}>();
		expect(list.count).toBe(2);
		expect(list.device_models.map((m) => m.code)).toEqual(["alpha", "thermo_v2"]);
		expect(list.device_models[0]?.chip).toBeNull();

		const patched = await api("/api/device-models/alpha", {
			method: "PATCH",
			token: admin,
			json: { name: "Alpha", chip: "esp32s3" },
		});
		expect(patched.status).toBe(200);
		expect(await patched.json()).toMatchObject({ code: "alpha", name: "Alpha", chip: "esp32s3" });

		const cleared = await api("/api/device-models/alpha", {
			method: "PATCH",
			token: admin,
			json: { chip: null },
		});
		expect(await cleared.json()).toMatchObject({ name: "Alpha", chip: null });

		expect((await api("/api/device-models/alpha", { method: "DELETE", token: admin })).status).toBe(
			204,
		);
		const gone = await api("/api/device-models/alpha", { token: admin });
		expect(gone.status).toBe(404);
		expect((await errorOf(gone)).code).toBe("MODEL_NOT_FOUND");
	});

	it("refuses a duplicate code with 409 MODEL_EXISTS", async () => {
		await api("/api/device-models", { token: admin, json: { code: "dup", name: "One" } });
		const again = await api("/api/device-models", {
			token: admin,
			json: { code: "dup", name: "Two" },
		});
		expect(again.status).toBe(409);
		expect((await errorOf(again)).code).toBe("MODEL_EXISTS");
	});

	it.each([
		[{ code: "Bad-Code", name: "x" }, "code"],
		[{ code: "a".repeat(51), name: "x" }, "code"],
		[{ code: "ok", name: "" }, "name"],
		[{ code: "ok", name: "x", chip: "esp8266" }, "chip"],
		[{ code: "ok", name: "x", extra: 1 }, ""],
		[{ name: "x" }, "code"],
	])("refuses invalid input %j with 400 VALIDATION_FAILED", async (json, field) => {
		const res = await api("/api/device-models", { token: admin, json });
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.code).toBe("VALIDATION_FAILED");
		expect(JSON.stringify(error.details)).toContain(field);
	});

	it("refuses malformed JSON, a non-JSON body and an oversized body", async () => {
		const malformed = await api("/api/device-models", {
			token: admin,
			body: "{nope",
			headers: { "content-type": "application/json" },
		});
		expect(malformed.status).toBe(400);
		expect((await errorOf(malformed)).code).toBe("INVALID_JSON");

		const text = await api("/api/device-models", {
			token: admin,
			body: "code=x",
			headers: { "content-type": "text/plain" },
		});
		expect(text.status).toBe(415);
		expect((await errorOf(text)).code).toBe("UNSUPPORTED_MEDIA_TYPE");

		const huge = await api("/api/device-models", {
			token: admin,
			json: { code: "big", name: "x".repeat(70_000) },
		});
		expect(huge.status).toBe(413);
		expect((await errorOf(huge)).code).toBe("PAYLOAD_TOO_LARGE");
	});

	it("refuses an invalid code in the path before touching storage", async () => {
		const res = await api("/api/device-models/..%2Fetc", { token: admin });
		expect(res.status).toBe(400);
		expect((await errorOf(res)).code).toBe("VALIDATION_FAILED");
	});

	it("refuses to delete a model with devices (409) and counts them", async () => {
		await api("/api/device-models", { token: admin, json: { code: "busy", name: "Busy" } });
		await api("/api/devices", { token: admin, json: { model_code: "busy" } });
		const model = await (await api("/api/device-models/busy", { token: admin })).json();
		expect(model).toMatchObject({ device_count: 1 });
		const res = await api("/api/device-models/busy", { method: "DELETE", token: admin });
		expect(res.status).toBe(409);
		expect((await errorOf(res)).code).toBe("MODEL_HAS_DEVICES");
		const row = await env.DB.prepare("SELECT code FROM device_models WHERE code = 'busy'").first();
		expect(row).not.toBeNull();
	});

	it("answers 404 for patching or deleting an unknown model", async () => {
		const patch = await api("/api/device-models/nosuch", {
			method: "PATCH",
			token: admin,
			json: { name: "x" },
		});
		expect(patch.status).toBe(404);
		const del = await api("/api/device-models/nosuch", { method: "DELETE", token: admin });
		expect((await errorOf(del)).code).toBe("MODEL_NOT_FOUND");
	});

	it("is for admins only", async () => {
		const pipeline = await api("/api/device-models", { token: await pipelineToken() });
		expect(pipeline.status).toBe(403);
		expect((await errorOf(pipeline)).code).toBe("FORBIDDEN");
		const device = await api("/api/device-models", { token: await deviceToken("x", "abcdefgh") });
		expect(device.status).toBe(403);
		const anonymous = await api("/api/device-models");
		expect(anonymous.status).toBe(401);
		expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");
	});
});
