import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { imageCacheKey } from "../../src/storage/image-cache";
import { buildAppImage, sha256Hex } from "../fixtures/app-image";
import { buildFirmware, noise } from "../fixtures/firmware";
import { api } from "../helpers/api";
import { createDevice, createModel, fetchWithEnv, storedKeys } from "../helpers/fleet";
import { captureLogs } from "../helpers/log-capture";
import { type RecordedPoint, RecordingMetrics } from "../helpers/recording-metrics";
import { adminToken, deviceToken, pipelineToken, signToken } from "../helpers/tokens";

/*
 * SPEC §9: every operation writes one Analytics Engine data point with its name, its status
 * ("ok" or the error code it ended with), its model, its duration and its bytes. Each request
 * here goes through the Worker with a METRICS binding that records, and each check takes exactly
 * the points that one request wrote.
 */

let metrics: RecordingMetrics;
let admin: string;
let pipeline: string;

beforeAll(async () => {
	admin = await adminToken();
	pipeline = await pipelineToken();
});
beforeEach(() => {
	metrics = new RecordingMetrics();
	// The request log lines are asserted in request-log.test.ts; keep them out of the output.
	captureLogs();
});
afterEach(() => {
	vi.restoreAllMocks();
});

interface CallOptions {
	method?: string;
	/** Default: an admin token; null sends none. */
	token?: string | null;
	json?: unknown;
	body?: Uint8Array;
	headers?: Record<string, string>;
}

interface Answer {
	status: number;
	bytes: Uint8Array;
	json<T = Record<string, unknown>>(): T;
}

/** One request through the Worker with the recording METRICS binding, its body read whole. */
async function call(path: string, options: CallOptions = {}): Promise<Answer> {
	const headers = new Headers(options.headers);
	let body: BodyInit | undefined = options.body;
	if (options.json !== undefined) {
		headers.set("content-type", "application/json");
		body = JSON.stringify(options.json);
	}
	const res = await fetchWithEnv({ METRICS: metrics }, path, {
		method: options.method ?? (body === undefined ? "GET" : "POST"),
		token: options.token === undefined ? admin : (options.token ?? undefined),
		headers,
		body,
	});
	const bytes = new Uint8Array(await res.arrayBuffer());
	return {
		status: res.status,
		bytes,
		json: <T>() => JSON.parse(new TextDecoder().decode(bytes)) as T,
	};
}

/** Checks the request wrote exactly one point, with the fields every point has, and returns it. */
function onePoint(answer: Answer): RecordedPoint {
	const points = metrics.take();
	expect(points).toHaveLength(1);
	const point = points[0] as RecordedPoint;
	expect(point.httpStatus).toBe(answer.status);
	expect(point.durationMs).toBeGreaterThanOrEqual(0);
	expect(point.bytes).toBeGreaterThanOrEqual(0);
	return point;
}

/** The request's points by operation name: exactly these operations, one point each. */
function pointsByOperation(...operations: string[]): Record<string, RecordedPoint> {
	const points = metrics.take();
	expect(points.map((p) => p.operation).sort()).toEqual([...operations].sort());
	return Object.fromEntries(points.map((p) => [p.operation, p]));
}

function uploadTo(path: string, body: Uint8Array, token: string): Promise<Answer> {
	return call(path, {
		body,
		token,
		headers: { "content-type": "application/octet-stream" },
	});
}

describe("device models and devices", () => {
	it("each CRUD operation writes one point with its name, status and model", async () => {
		const code = "dp_crud";
		let res = await call("/api/device-models", { json: { code, name: "CRUD" } });
		expect(res.status).toBe(201);
		expect(onePoint(res)).toEqual({
			operation: "create_device_model",
			status: "ok",
			model: code,
			durationMs: expect.any(Number),
			bytes: 0,
			httpStatus: 201,
		});

		res = await call("/api/device-models");
		expect(onePoint(res)).toMatchObject({
			operation: "list_device_models",
			status: "ok",
			model: "",
		});
		res = await call(`/api/device-models/${code}`);
		expect(onePoint(res)).toMatchObject({
			operation: "get_device_model",
			status: "ok",
			model: code,
		});
		res = await call(`/api/device-models/${code}`, { method: "PATCH", json: { name: "Renamed" } });
		expect(onePoint(res)).toMatchObject({
			operation: "update_device_model",
			status: "ok",
			model: code,
		});

		res = await call("/api/devices", { json: { model_code: code, name: "bench" } });
		expect(res.status).toBe(201);
		expect(onePoint(res)).toMatchObject({ operation: "create_device", status: "ok", model: code });
		const { key } = res.json<{ key: string }>();
		res = await call(`/api/devices?model=${code}`);
		expect(onePoint(res)).toMatchObject({ operation: "list_devices", status: "ok", model: code });
		res = await call(`/api/devices/${key}`);
		expect(onePoint(res)).toMatchObject({ operation: "get_device", status: "ok", model: code });
		res = await call(`/api/devices/${key}`, { method: "PATCH", json: { active: false } });
		expect(onePoint(res)).toMatchObject({ operation: "update_device", status: "ok", model: code });

		res = await call(`/api/device-models/${code}`, { method: "DELETE" });
		expect(res.status).toBe(409);
		expect(onePoint(res)).toMatchObject({
			operation: "delete_device_model",
			status: "MODEL_HAS_DEVICES",
			model: code,
		});
		res = await call(`/api/devices/${key}`, { method: "DELETE" });
		expect(res.status).toBe(204);
		expect(onePoint(res)).toMatchObject({ operation: "delete_device", status: "ok", model: code });
		res = await call(`/api/device-models/${code}`, { method: "DELETE" });
		expect(res.status).toBe(204);
		expect(onePoint(res)).toMatchObject({
			operation: "delete_device_model",
			status: "ok",
			model: code,
		});
	});

	it("a failed operation counts under its own name with the error code as its status", async () => {
		let res = await call("/api/device-models/dp_missing");
		expect(onePoint(res)).toEqual({
			operation: "get_device_model",
			status: "MODEL_NOT_FOUND",
			model: "dp_missing",
			durationMs: expect.any(Number),
			bytes: 0,
			httpStatus: 404,
		});
		await createModel("dp_twice");
		res = await call("/api/device-models", { json: { code: "dp_twice", name: "Again" } });
		expect(onePoint(res)).toMatchObject({
			operation: "create_device_model",
			status: "MODEL_EXISTS",
			httpStatus: 409,
		});
		res = await call("/api/device-models", { json: { code: "Not Valid", name: "x" } });
		expect(onePoint(res)).toMatchObject({
			operation: "create_device_model",
			status: "VALIDATION_FAILED",
			httpStatus: 400,
		});
		res = await call("/api/devices/zzzzzzzz");
		expect(onePoint(res)).toMatchObject({
			operation: "get_device",
			status: "DEVICE_NOT_FOUND",
			httpStatus: 404,
		});
	});
});

describe("firmware", () => {
	const MODEL = "dp_fw";
	let device: { key: string; token: string };
	let bin: Uint8Array;
	let bundle: Awaited<ReturnType<typeof buildFirmware>>;

	beforeAll(async () => {
		await createModel(MODEL);
		device = await createDevice(MODEL);
		bin = await buildAppImage({ version: "1.0.0", seed: 51, totalSize: 40_000 });
		bundle = await buildFirmware(MODEL, { version: "2.0.0", seed: 52 });
	});

	it("uploads count a bare image and a bundle apart, and the admin upload on its own", async () => {
		const pipelinePath = `/api/pipeline/models/${MODEL}/firmware`;
		let res = await uploadTo(pipelinePath, bin, pipeline);
		expect(res.status).toBe(200);
		expect(onePoint(res)).toEqual({
			operation: "pipeline_upload_firmware",
			status: "ok",
			model: MODEL,
			durationMs: expect.any(Number),
			bytes: bin.length,
			httpStatus: 200,
		});

		res = await uploadTo(pipelinePath, bundle.zip, pipeline);
		expect(res.status).toBe(200);
		expect(onePoint(res)).toMatchObject({
			operation: "pipeline_upload_firmware_zip",
			status: "ok",
			model: MODEL,
			bytes: bundle.zip.length,
		});

		const adminBin = await buildAppImage({ version: "3.0.0", seed: 53 });
		res = await uploadTo(`/api/device-models/${MODEL}/firmware`, adminBin, admin);
		expect(res.status).toBe(200);
		expect(onePoint(res)).toMatchObject({
			operation: "upload_firmware",
			status: "ok",
			model: MODEL,
			bytes: adminBin.length,
		});
	});

	it("refused uploads count with their error code, bundles still as bundles", async () => {
		const pipelinePath = `/api/pipeline/models/${MODEL}/firmware`;
		let res = await uploadTo(pipelinePath, new TextEncoder().encode("not firmware"), pipeline);
		expect(onePoint(res)).toMatchObject({
			operation: "pipeline_upload_firmware",
			status: "UNKNOWN_FIRMWARE_FORMAT",
			model: MODEL,
			httpStatus: 400,
		});
		const wrongElf = await buildFirmware(MODEL, {
			version: "9.0.0",
			extraEntries: { [`${MODEL}.elf`]: noise(3000, 77) },
		});
		res = await uploadTo(pipelinePath, wrongElf.zip, pipeline);
		expect(onePoint(res)).toMatchObject({
			operation: "pipeline_upload_firmware_zip",
			status: "ELF_MISMATCH",
			model: MODEL,
			httpStatus: 400,
		});
		res = await uploadTo("/api/pipeline/models/dp_nowhere/firmware", bin, pipeline);
		expect(onePoint(res)).toMatchObject({
			operation: "pipeline_upload_firmware",
			status: "MODEL_NOT_FOUND",
			model: "dp_nowhere",
			httpStatus: 404,
		});
	});

	it("device downloads count the bytes sent: the image, or the range", async () => {
		await activate(MODEL, "1.0.0");
		let res = await call("/api/iot/firmware", { token: device.token });
		expect(res.status).toBe(200);
		expect(res.bytes).toEqual(bin);
		expect(onePoint(res)).toEqual({
			operation: "iot_get_firmware",
			status: "ok",
			model: MODEL,
			durationMs: expect.any(Number),
			bytes: bin.length,
			httpStatus: 200,
		});

		res = await call("/api/iot/firmware", {
			token: device.token,
			headers: { range: "bytes=1000-2999" },
		});
		expect(res.status).toBe(206);
		expect(onePoint(res)).toMatchObject({ operation: "iot_get_firmware", bytes: 2000 });

		// An end past the image is clamped: only the bytes that exist are sent and counted.
		res = await call("/api/iot/firmware", {
			token: device.token,
			headers: { range: `bytes=${bin.length - 10}-${bin.length + 500}` },
		});
		expect(res.bytes).toHaveLength(10);
		expect(onePoint(res)).toMatchObject({ operation: "iot_get_firmware", bytes: 10 });

		const etag = `"${await sha256Hex(bin)}"`;
		res = await call("/api/iot/firmware", {
			token: device.token,
			headers: { "if-none-match": etag },
		});
		expect(res.status).toBe(304);
		expect(onePoint(res)).toMatchObject({ operation: "iot_get_firmware", status: "ok", bytes: 0 });

		res = await call("/api/iot/firmware", { token: device.token, method: "HEAD" });
		expect(res.status).toBe(200);
		expect(onePoint(res)).toMatchObject({ operation: "iot_get_firmware", bytes: 0 });

		res = await call(`/api/iot/firmware/${await sha256Hex(bin)}`, { token: device.token });
		expect(onePoint(res)).toMatchObject({
			operation: "iot_get_firmware",
			status: "ok",
			model: MODEL,
			bytes: bin.length,
		});
		res = await call(`/api/iot/firmware/${"0".repeat(64)}`, { token: device.token });
		expect(onePoint(res)).toMatchObject({
			operation: "iot_get_firmware",
			status: "FIRMWARE_NOT_FOUND",
			model: MODEL,
			httpStatus: 404,
		});

		res = await call("/api/iot/firmware-version", { token: device.token });
		expect(onePoint(res)).toMatchObject({
			operation: "iot_get_firmware_version",
			status: "ok",
			model: MODEL,
		});
	});

	it("a 416 counts with the status RANGE_NOT_SATISFIABLE, the code its body carries", async () => {
		const res = await call("/api/iot/firmware", {
			token: device.token,
			headers: { range: "bytes=999999999-" },
		});
		expect(res.status).toBe(416);
		expect(res.json()).toMatchObject({ code: "RANGE_NOT_SATISFIABLE" });
		expect(onePoint(res)).toMatchObject({
			operation: "iot_get_firmware",
			status: "RANGE_NOT_SATISFIABLE",
			model: MODEL,
			bytes: 0,
		});
	});

	it("a download whose image is missing from R2 and bundle alike counts 0 bytes", async () => {
		const code = "dp_lost";
		await createModel(code);
		const lost = await createDevice(code);
		const image = await buildAppImage({ version: "1.0.0", seed: 57 });
		expect((await uploadTo(`/api/pipeline/models/${code}/firmware`, image, pipeline)).status).toBe(
			200,
		);
		metrics.take();
		const sha = await sha256Hex(image);
		await env.BLOBS.delete((await storedKeys(code, "1.0.0")).image_key);
		await caches.default.delete(imageCacheKey(sha));
		const res = await call("/api/iot/firmware", { token: lost.token });
		expect(res.status).toBe(404);
		const points = pointsByOperation("iot_get_firmware", "firmware_zip_extract_fallback");
		expect(points.iot_get_firmware).toMatchObject({ status: "FIRMWARE_NOT_FOUND", bytes: 0 });
		expect(points.firmware_zip_extract_fallback).toMatchObject({
			status: "IMAGE_MISSING",
			bytes: 0,
		});
	});

	it("admin firmware operations", async () => {
		let res = await call(`/api/device-models/${MODEL}/firmware`);
		expect(onePoint(res)).toMatchObject({
			operation: "download_firmware",
			status: "ok",
			model: MODEL,
			bytes: bin.length,
		});
		res = await call(`/api/device-models/${MODEL}/firmware/versions/2.0.0/bin`);
		expect(onePoint(res)).toMatchObject({
			operation: "download_firmware",
			status: "ok",
			model: MODEL,
			bytes: bundle.image.length,
		});
		res = await call(`/api/device-models/${MODEL}/firmware/versions/2.0.0/zip`);
		expect(onePoint(res)).toMatchObject({
			operation: "download_firmware_bundle",
			status: "ok",
			model: MODEL,
			bytes: bundle.zip.length,
		});
		res = await call(`/api/device-models/${MODEL}/firmware/versions`);
		expect(onePoint(res)).toMatchObject({
			operation: "list_firmware_versions",
			status: "ok",
			model: MODEL,
		});
		res = await call(`/api/device-models/${MODEL}/firmware/versions/2.0.0/activate`, {
			method: "POST",
		});
		expect(onePoint(res)).toMatchObject({
			operation: "activate_firmware_version",
			status: "ok",
			model: MODEL,
		});
		res = await call(`/api/device-models/${MODEL}/firmware/versions/2.0.0`, { method: "DELETE" });
		expect(onePoint(res)).toMatchObject({
			operation: "delete_firmware_version",
			status: "VERSION_IS_CURRENT",
			model: MODEL,
			httpStatus: 409,
		});
		res = await call(`/api/device-models/${MODEL}/firmware/versions/3.0.0`, { method: "DELETE" });
		expect(onePoint(res)).toMatchObject({
			operation: "delete_firmware_version",
			status: "ok",
			model: MODEL,
			httpStatus: 204,
		});
		res = await call(`/api/pipeline/models/${MODEL}/firmware-version`, { token: pipeline });
		expect(onePoint(res)).toMatchObject({
			operation: "pipeline_get_firmware_version",
			status: "ok",
			model: MODEL,
		});
	});
});

describe("firmware_zip_extract_fallback", () => {
	const MODEL = "dp_fallback";
	let device: { key: string; token: string };

	beforeAll(async () => {
		await createModel(MODEL);
		device = await createDevice(MODEL);
	});

	/** Uploads a bundle that nothing has downloaded yet, then loses its image object. */
	async function bundleWithoutImage(version: string, seed: number) {
		const fw = await buildFirmware(MODEL, { version, seed });
		const res = await api(`/api/pipeline/models/${MODEL}/firmware`, {
			token: await pipelineToken(),
			body: fw.zip,
		});
		expect(res.status).toBe(200);
		const key = (await storedKeys(MODEL, version)).image_key;
		expect(await env.BLOBS.head(key)).not.toBeNull();
		await env.BLOBS.delete(key);
		return { fw, key };
	}

	it("a download served from the bundle writes its own point beside the download's", async () => {
		const { fw, key } = await bundleWithoutImage("4.0.0", 61);

		let res = await call(`/api/device-models/${MODEL}/firmware`);
		expect(res.status).toBe(200);
		expect(res.bytes).toEqual(fw.image);
		const points = pointsByOperation("download_firmware", "firmware_zip_extract_fallback");
		expect(points.download_firmware).toMatchObject({
			status: "ok",
			model: MODEL,
			bytes: fw.image.length,
			httpStatus: 200,
		});
		expect(points.firmware_zip_extract_fallback).toMatchObject({
			status: "ok",
			model: MODEL,
			bytes: fw.image.length,
		});
		expect(points.firmware_zip_extract_fallback?.durationMs).toBeGreaterThanOrEqual(0);

		// The image was stored again (the request waited for that): the next download is direct.
		expect((await env.BLOBS.head(key))?.size).toBe(fw.image.length);
		res = await call(`/api/device-models/${MODEL}/firmware`);
		expect(onePoint(res)).toMatchObject({ operation: "download_firmware", status: "ok" });
	});

	it("a device's range download from the bundle counts the range, the fallback the image", async () => {
		const { fw } = await bundleWithoutImage("4.1.0", 62);
		const res = await call("/api/iot/firmware", {
			token: device.token,
			headers: { range: "bytes=0-99" },
		});
		expect(res.status).toBe(206);
		expect(res.bytes).toEqual(fw.image.subarray(0, 100));
		const points = pointsByOperation("iot_get_firmware", "firmware_zip_extract_fallback");
		expect(points.iot_get_firmware).toMatchObject({ status: "ok", bytes: 100, httpStatus: 206 });
		expect(points.firmware_zip_extract_fallback).toMatchObject({
			status: "ok",
			model: MODEL,
			bytes: fw.image.length,
		});
	});
});

describe("core dumps", () => {
	it("a device's upload counts as iot_upload_coredump with its model and size", async () => {
		const model = await createModel("dp_crash");
		const device = await createDevice(model);
		const dump = noise(1500, 81);
		let res = await call("/api/iot/coredump?chip=esp32&firmware_version=1.0.0", {
			token: device.token,
			body: dump,
			headers: { "content-type": "application/octet-stream" },
		});
		expect(res.status).toBe(201);
		expect(onePoint(res)).toEqual({
			operation: "iot_upload_coredump",
			status: "ok",
			model,
			durationMs: expect.any(Number),
			bytes: dump.length,
			httpStatus: 201,
		});

		res = await call("/api/iot/coredump?chip=esp32", { token: device.token, body: dump });
		expect(onePoint(res)).toMatchObject({
			operation: "iot_upload_coredump",
			status: "VALIDATION_FAILED",
			model,
			httpStatus: 400,
		});
	});
});

describe("auth failures", () => {
	it("count as auth_failure, whatever was attempted, with the error code as status", async () => {
		const expired = await signToken(
			{ realm_access: { roles: ["admin"] } },
			{ expiresIn: Math.floor(Date.now() / 1000) - 3600 },
		);
		const inactive = await createModel("dp_auth");
		const { key } = await createDevice(inactive);
		await api(`/api/devices/${key}`, { method: "PATCH", token: admin, json: { active: false } });
		const cases: [string, CallOptions, string, number][] = [
			["/api/device-models", { token: null }, "AUTH_REQUIRED", 401],
			["/api/device-models", { token: expired }, "TOKEN_EXPIRED", 401],
			["/api/device-models", { token: "not.a.jwt" }, "TOKEN_INVALID", 401],
			["/api/device-models", { token: pipeline }, "FORBIDDEN", 403],
			["/api/iot/firmware", { token: await deviceToken(inactive, key) }, "DEVICE_INACTIVE", 403],
			[
				"/api/iot/firmware",
				{ token: await deviceToken(inactive, "zzzzzzzz") },
				"DEVICE_NOT_FOUND",
				404,
			],
			["/api/iot/firmware", { token: admin }, "NOT_A_DEVICE", 403],
		];
		for (const [path, options, code, status] of cases) {
			const res = await call(path, options);
			expect(res.status, code).toBe(status);
			expect(onePoint(res), code).toMatchObject({
				operation: "auth_failure",
				status: code,
				httpStatus: status,
			});
		}
	});
});

describe("requests that are no operation", () => {
	it("an unknown route writes no point", async () => {
		const res = await call("/api/no-such-thing");
		expect(res.status).toBe(404);
		expect(metrics.take()).toEqual([]);
	});

	it("the upload script is an operation of its own", async () => {
		const res = await call("/api/pipeline/upload.sh", { token: null });
		expect(res.status).toBe(200);
		expect(onePoint(res)).toMatchObject({ operation: "get_upload_script_sh", status: "ok" });
	});
});

async function activate(model: string, version: string): Promise<void> {
	const res = await api(`/api/device-models/${model}/firmware/versions/${version}/activate`, {
		method: "POST",
		token: await adminToken(),
	});
	expect(res.status).toBe(200);
}
