import { beforeAll, describe, expect, it } from "vitest";
import { api, errorOf } from "../helpers/api";
import { AUDIENCE, adminToken, deviceToken, pipelineToken, signToken } from "../helpers/tokens";

const PIPELINE_VERSION = "/api/pipeline/models/roles_model/firmware-version";

/** A few admin endpoints of each method, all of which need the admin role. */
const ADMIN_ENDPOINTS: [method: string, path: string, json?: unknown][] = [
	["GET", "/api/device-models"],
	["POST", "/api/device-models", { code: "sneaky", name: "Sneaky" }],
	["GET", "/api/device-models/roles_model"],
	["PATCH", "/api/device-models/roles_model", { name: "Renamed" }],
	["DELETE", "/api/device-models/roles_model"],
	["GET", "/api/devices"],
	["POST", "/api/devices", { model_code: "roles_model" }],
	["GET", "/api/devices/k7dq2mxa"],
	["PATCH", "/api/devices/k7dq2mxa", { active: false }],
	["DELETE", "/api/devices/k7dq2mxa"],
];

let admin: string;
beforeAll(async () => {
	admin = await adminToken();
	const res = await api("/api/device-models", {
		token: admin,
		json: { code: "roles_model", name: "Roles" },
	});
	expect(res.status).toBe(201);
});

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

describe("where roles are read from", () => {
	it.each([
		["realm_access.roles", { realm_access: { roles: ["offline_access", "admin"] } }],
		[
			`resource_access["${AUDIENCE}"].roles`,
			{ resource_access: { [AUDIENCE]: { roles: ["admin"] } } },
		],
		["a top-level roles array", { roles: ["admin"] }],
	])("accepts admin from %s", async (_, claims) => {
		const res = await api("/api/device-models", { token: await signToken(claims) });
		expect(res.status).toBe(200);
	});

	it("does not take roles from another client's resource_access", async () => {
		const token = await signToken({
			resource_access: { account: { roles: ["admin"] }, "ota-edge-ui": { roles: ["admin"] } },
		});
		await expectError(await api("/api/device-models", { token }), 403, "FORBIDDEN");
	});

	it("unites the three places: pipeline in one and admin in another is an admin", async () => {
		const token = await signToken({
			roles: ["pipeline"],
			resource_access: { [AUDIENCE]: { roles: ["admin"] } },
		});
		expect((await api("/api/device-models", { token })).status).toBe(200);
	});

	it("refuses a valid token with no roles at all with 403 FORBIDDEN", async () => {
		const res = await api("/api/device-models", { token: await signToken({}) });
		await expectError(res, 403, "FORBIDDEN");
		expect((await errorOf(await api("/api/devices", { token: await signToken({}) }))).code).toBe(
			"FORBIDDEN",
		);
	});
});

describe("admin endpoints", () => {
	it.each(ADMIN_ENDPOINTS)(
		"refuse a pipeline token: %s %s → 403 FORBIDDEN",
		async (method, path, json) => {
			const res = await api(path, { method, token: await pipelineToken(), json });
			await expectError(res, 403, "FORBIDDEN");
		},
	);

	it.each(ADMIN_ENDPOINTS)("refuse a device token: %s %s → 403", async (method, path, json) => {
		const device = await api("/api/devices", { token: admin, json: { model_code: "roles_model" } });
		const { key } = await device.json<{ key: string }>();
		const res = await api(path, { method, token: await deviceToken("roles_model", key), json });
		await expectError(res, 403, "FORBIDDEN");
	});

	it("left nothing changed after the refused writes", async () => {
		const res = await api("/api/device-models/roles_model", { token: admin });
		expect(await res.json()).toMatchObject({ code: "roles_model", name: "Roles" });
		const sneaky = await api("/api/device-models/sneaky", { token: admin });
		await expectError(sneaky, 404, "MODEL_NOT_FOUND");
	});
});

describe("pipeline endpoints", () => {
	it("accept a pipeline token", async () => {
		const res = await api(PIPELINE_VERSION, { token: await pipelineToken() });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ code: "roles_model", firmware_version: null });
	});

	it("accept an admin token", async () => {
		expect((await api(PIPELINE_VERSION, { token: admin })).status).toBe(200);
	});

	it("accept pipeline from realm_access as well", async () => {
		const token = await signToken({ realm_access: { roles: ["pipeline"] } });
		expect((await api(PIPELINE_VERSION, { token })).status).toBe(200);
	});

	it("refuse a token without the role with 403 FORBIDDEN", async () => {
		const token = await signToken({ roles: ["viewer", "pipelines", "Pipeline"] });
		await expectError(await api(PIPELINE_VERSION, { token }), 403, "FORBIDDEN");
	});

	it("refuse a device token with 403 FORBIDDEN", async () => {
		const device = await api("/api/devices", { token: admin, json: { model_code: "roles_model" } });
		const { key } = await device.json<{ key: string }>();
		const res = await api(PIPELINE_VERSION, { token: await deviceToken("roles_model", key) });
		await expectError(res, 403, "FORBIDDEN");
	});

	it("refuse an upload from a token without the role before reading the body", async () => {
		const res = await api("/api/pipeline/models/roles_model/firmware", {
			method: "POST",
			token: await signToken({ roles: ["viewer"] }),
			body: new Uint8Array([0xe9, 1, 2, 3]),
		});
		await expectError(res, 403, "FORBIDDEN");
	});
});
