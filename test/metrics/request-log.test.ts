import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { buildAppImage, sha256Hex } from "../fixtures/app-image";
import { api } from "../helpers/api";
import { createDevice, createModel, uploadFirmware } from "../helpers/fleet";
import { captureLogs, type LogCapture } from "../helpers/log-capture";
import { signToken } from "../helpers/tokens";

/*
 * SPEC §9 and issue 6: one structured JSON line per request (method, route pattern, status,
 * duration, operation) that never holds a token or a secret. Every request here carries a bearer
 * token with a recognisable claim and a query string with recognisable values; none of them, nor
 * the Authorization header, may show up in anything the Worker writes to the console.
 */

const MODEL = "log_model";
/** Query values and a claim no log line may contain. */
const QUERY = "access_token=q-secret-7f3a&password=hunter2-q";
const CLAIM_EMAIL = "ops-lead-4d1c@example.com";

let logs: LogCapture;
let admin: string;
let expiredAdmin: string;
let device: { key: string; token: string };
let imageSha: string;

beforeAll(async () => {
	admin = await signToken({ realm_access: { roles: ["admin"] }, email: CLAIM_EMAIL });
	expiredAdmin = await signToken(
		{ realm_access: { roles: ["admin"] }, email: CLAIM_EMAIL },
		{ expiresIn: Math.floor(Date.now() / 1000) - 3600 },
	);
	await createModel(MODEL);
	device = await createDevice(MODEL);
	const image = await buildAppImage({ version: "1.0.0", seed: 71 });
	expect((await uploadFirmware(MODEL, image)).status).toBe(200);
	// By hash, a device gets its target: by then, the version the "upload" case makes current.
	imageSha = await sha256Hex(await buildAppImage({ version: "1.1.0", seed: 72 }));
});
beforeEach(() => {
	logs = captureLogs();
});
afterEach(() => {
	vi.restoreAllMocks();
});

interface Case {
	name: string;
	method?: string;
	path: string;
	token: () => string;
	body?: () => Promise<Uint8Array>;
	line: {
		route: string;
		status: number;
		operation: string | null;
		code?: string | null;
	};
}

const cases: Case[] = [
	{
		name: "an admin read of one model",
		path: `/api/device-models/${MODEL}`,
		token: () => admin,
		line: { route: "/api/device-models/:code", status: 200, operation: "get_device_model" },
	},
	{
		name: "a list filtered by query",
		path: `/api/devices?model=${MODEL}`,
		token: () => admin,
		line: { route: "/api/devices", status: 200, operation: "list_devices" },
	},
	{
		name: "a refused upload",
		method: "POST",
		path: `/api/pipeline/models/${MODEL}/firmware`,
		token: () => admin,
		body: async () => new TextEncoder().encode("not firmware"),
		line: {
			route: "/api/pipeline/models/:code/firmware",
			status: 400,
			operation: "pipeline_upload_firmware",
			code: "UNKNOWN_FIRMWARE_FORMAT",
		},
	},
	{
		name: "an upload",
		method: "POST",
		path: `/api/device-models/${MODEL}/firmware`,
		token: () => admin,
		body: () => buildAppImage({ version: "1.1.0", seed: 72 }),
		line: { route: "/api/device-models/:code/firmware", status: 200, operation: "upload_firmware" },
	},
	{
		name: "a device download by hash",
		path: `/api/iot/firmware/{sha}`,
		token: () => device.token,
		line: { route: "/api/iot/firmware/:sha256", status: 200, operation: "iot_get_firmware" },
	},
	{
		name: "an expired token",
		path: `/api/device-models/${MODEL}`,
		token: () => expiredAdmin,
		line: {
			route: "/api/device-models/:code",
			status: 401,
			operation: "auth_failure",
			code: "TOKEN_EXPIRED",
		},
	},
	{
		name: "a token that is not a JWT",
		path: `/api/device-models/${MODEL}/firmware/versions`,
		token: () => "opaque-Secret-Token-5e9b",
		line: {
			route: "/api/device-models/:code/firmware/versions",
			status: 401,
			operation: "auth_failure",
			code: "TOKEN_INVALID",
		},
	},
	{
		name: "an unknown route",
		path: "/api/device-models-typo/x",
		token: () => admin,
		line: { route: "unmatched", status: 404, operation: null, code: "ROUTE_NOT_FOUND" },
	},
	{
		name: "the public health check",
		path: "/api/health",
		token: () => admin,
		line: { route: "/api/health", status: 200, operation: null },
	},
];

describe("one JSON log line per request", () => {
	it.each(cases)("$name", async (c) => {
		const token = c.token();
		const path = `${c.path.replace("{sha}", imageSha)}${c.path.includes("?") ? "&" : "?"}${QUERY}`;
		const method = c.method ?? "GET";

		const res = await api(path, { method, token, body: c.body ? await c.body() : undefined });
		await res.arrayBuffer();

		expect(res.status).toBe(c.line.status);
		const lines = logs.requestLines();
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatchObject({
			method,
			route: c.line.route,
			status: c.line.status,
			duration_ms: expect.any(Number),
			operation: c.line.operation,
			code: c.line.code ?? null,
		});
		expect(lines[0]?.duration_ms).toBeGreaterThanOrEqual(0);

		const written = logs.allText();
		expect(written).not.toContain(token);
		for (const part of token.split(".")) expect(written).not.toContain(part);
		expect(written).not.toMatch(/bearer|authorization/i);
		expect(written).not.toMatch(/q-secret-7f3a|hunter2-q|access_token|password=/);
		expect(written).not.toContain(CLAIM_EMAIL);
		expect(written).not.toContain("?");
	});
});
