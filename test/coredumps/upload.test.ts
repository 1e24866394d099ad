import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, errorOf } from "../helpers/api";
import { bucketKeys, createDevice, createModel } from "../helpers/fleet";
import { adminToken, deviceToken, pipelineToken } from "../helpers/tokens";

const QUERY = "chip=esp32s3&firmware_version=1.4.2-rc.1%2Bg7d0e";
const dump = (size: number, seed = 1) =>
	Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 255);
const upload = (token: string, body: BodyInit | null, query = QUERY) =>
	api(`/api/iot/coredump?${query}`, { method: "POST", token, body });

let admin: string;
let device: { key: string; token: string };
const MODEL = "crashy";
const prefix = () => `coredumps/${MODEL}/${device.key}/`;

beforeAll(async () => {
	admin = await adminToken();
	await createModel(MODEL);
	device = await createDevice(MODEL);
});

async function sha256(bytes: Uint8Array): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
	return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	const body = await errorOf(res);
	expect(body.code).toBe(code);
	return body;
}

describe("POST /api/iot/coredump", () => {
	it("stores the bytes with their metadata in R2, indexes them in D1 and answers 201", async () => {
		const bytes = dump(3000);
		const res = await upload(device.token, bytes);
		expect(res.status).toBe(201);
		const body = await res.json<{ status: string; filename: string; id: string }>();
		expect(Object.keys(body).sort()).toEqual(["filename", "id", "status"]);
		expect(body.status).toBe("ok");
		expect(body.filename).toMatch(/^coredump_\d{8}T\d{6}_[0-9a-z]+Z\.dmp$/);
		expect(body.id).toMatch(/^[0-9a-f-]{36}$/);

		const object = await env.BLOBS.get(`${prefix()}${body.filename}`);
		if (!object) throw new Error(`${body.filename} was not stored`);
		expect(new Uint8Array(await object.arrayBuffer())).toEqual(bytes);
		const meta = object.customMetadata ?? {};
		expect(meta).toEqual({
			chip: "esp32s3",
			firmware_version: "1.4.2-rc.1+g7d0e",
			device_key: device.key,
			model_code: MODEL,
			uploaded_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
			sha256: await sha256(bytes),
		});
		const stamp = (meta.uploaded_at ?? "").replace(/[-:]/g, "");
		expect(body.filename.slice(9, 24)).toBe(stamp.slice(0, 15));

		const row = await api(`/api/devices/${device.key}/coredumps/${body.id}`, { token: admin });
		expect(row.status).toBe(200);
		// The analysis runs from the queue meanwhile (test/analysis covers it).
		expect(await row.json()).toMatchObject({
			id: body.id,
			filename: body.filename,
			device_key: device.key,
			model_code: MODEL,
			chip: "esp32s3",
			firmware_version: "1.4.2-rc.1+g7d0e",
			size: 3000,
			sha256: meta.sha256,
			uploaded_at: meta.uploaded_at,
		});
		const dev = await api(`/api/devices/${device.key}`, { token: admin });
		expect((await dev.json<{ last_coredump_at: string }>()).last_coredump_at).toBe(
			meta.uploaded_at,
		);
	});

	it.each([
		["chip", "firmware_version=1.0", "is required"],
		["chip", "chip=esp8266&firmware_version=1.0", "must be one of"],
		["chip", "chip=constructor&firmware_version=1.0", "must be one of"],
		["firmware_version", "chip=esp32", "is required"],
		["firmware_version", "chip=esp32&firmware_version=", "must be 1-64"],
		["firmware_version", `chip=esp32&firmware_version=${"9".repeat(65)}`, "must be 1-64"],
		["firmware_version", "chip=esp32&firmware_version=1.0%2F..%2Fx", "must be 1-64"],
	])("answers 400 naming %s for ?%s and stores nothing", async (field, query, message) => {
		const before = await bucketKeys(prefix());
		const res = await upload(device.token, dump(10), query);
		const { details } = await expectError(res, 400, "VALIDATION_FAILED");
		const issues = details?.issues as { field: string; message: string }[];
		expect(issues.map((i) => i.field)).toEqual([field]);
		expect(issues[0]?.message).toContain(message);
		expect(await bucketKeys(prefix())).toEqual(before);
	});

	it("answers 400 EMPTY_BODY for an empty body, with or without a length", async () => {
		const before = await bucketKeys(prefix());
		await expectError(await upload(device.token, new Uint8Array(0)), 400, "EMPTY_BODY");
		await expectError(await upload(device.token, null), 400, "EMPTY_BODY");
		const empty = new ReadableStream({ start: (c) => c.close() });
		await expectError(await upload(device.token, empty), 400, "EMPTY_BODY");
		expect(await bucketKeys(prefix())).toEqual(before);
	});

	it("accepts every chip the service knows", async () => {
		for (const chip of ["esp32", "esp32c61", "esp32p4"]) {
			const res = await upload(device.token, dump(5), `chip=${chip}&firmware_version=v1`);
			expect(res.status).toBe(201);
		}
	});
});

describe("who may upload", () => {
	it("answers 401 without a token", async () => {
		const res = await api(`/api/iot/coredump?${QUERY}`, { method: "POST", body: dump(4) });
		await expectError(res, 401, "AUTH_REQUIRED");
		const bare = await api("/api/iot/coredump", { method: "POST", body: dump(4) });
		await expectError(bare, 401, "AUTH_REQUIRED");
	});

	it("answers 403 NOT_A_DEVICE to admin and pipeline tokens", async () => {
		await expectError(await upload(admin, dump(4)), 403, "NOT_A_DEVICE");
		await expectError(await upload(await pipelineToken(), dump(4)), 403, "NOT_A_DEVICE");
	});

	it("answers 404 for an unregistered device and 401 for a token of the wrong model", async () => {
		const ghost = device.key === "zzzzzzzz" ? "yyyyyyyy" : "zzzzzzzz";
		await expectError(
			await upload(await deviceToken(MODEL, ghost), dump(4)),
			404,
			"DEVICE_NOT_FOUND",
		);
		await createModel("other_model");
		const wrong = await deviceToken("other_model", device.key);
		await expectError(await upload(wrong, dump(4)), 401, "DEVICE_MODEL_MISMATCH");
	});

	it("answers 403 DEVICE_INACTIVE to a deactivated device and stores nothing", async () => {
		const sleeper = await createDevice(MODEL);
		const off = await api(`/api/devices/${sleeper.key}`, {
			method: "PATCH",
			token: admin,
			json: { active: false },
		});
		expect(off.status).toBe(200);
		await expectError(await upload(sleeper.token, dump(4)), 403, "DEVICE_INACTIVE");
		expect(await bucketKeys(`coredumps/${MODEL}/${sleeper.key}/`)).toEqual([]);
	});
});
