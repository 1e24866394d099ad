import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAppImage } from "./fixtures/app-image";
import { api, errorOf } from "./helpers/api";
import { bucketKeys, createDevice, createModel, uploadFirmware } from "./helpers/fleet";
import { adminToken } from "./helpers/tokens";

/**
 * Identifiers that try to escape their rule — traversal, encoded slashes, NULs, Unicode
 * look-alikes, over-long values — are refused with 400 before any storage is touched
 * (SPEC §2), wherever they appear: path segments, query parameters, JSON bodies.
 */
let admin: string;
let device: { key: string; token: string };
const MODEL = "hostile_ids";

beforeAll(async () => {
	admin = await adminToken();
	await createModel(MODEL);
	device = await createDevice(MODEL);
	expect((await uploadFirmware(MODEL, await buildAppImage({ version: "1.0.0" }))).status).toBe(200);
});

const MODEL_CODES = [
	"..%2Fetc",
	"a%2Fb",
	"%2E%2Ex",
	"thermo%00",
	"%EF%BC%A1BC", // fullwidth "ＡBC"
	"therm%D0%BE", // Cyrillic "о"
	"Thermo",
	"a".repeat(51),
	"a-b",
	"%20a",
];
const DEVICE_KEYS = [
	"abcdefg%2F",
	"abcdefgh%E2%80%8B",
	"ABCDEFGH",
	"abcdefghi",
	"abc",
	"..%2F..%2Fx",
];
const VERSIONS = [
	"1.0%2F..%2Fx",
	".hidden",
	"-rc1",
	"1".repeat(32),
	"1.0.0%00",
	"v1%E2%80%A40", // one dot leader "․"
	"1.0 0",
];

async function expectRefused(path: string, init: Parameters<typeof api>[1] = {}) {
	const res = await api(path, { token: admin, ...init });
	expect(res.status, path).toBe(400);
	const error = await errorOf(res);
	expect(error.code).toBe("VALIDATION_FAILED");
	return error;
}

describe("hostile identifiers", () => {
	it.each(MODEL_CODES)("refuses the model code %s in paths, queries and bodies", async (code) => {
		await expectRefused(`/api/device-models/${code}`);
		await expectRefused(`/api/device-models/${code}/firmware/versions`);
		await expectRefused(`/api/pipeline/models/${code}/firmware`, {
			body: await buildAppImage(),
		});
		await expectRefused(`/api/devices?model=${code}`);
		await expectRefused("/api/device-models", {
			json: { code: decodeURIComponent(code), name: "x" },
		});
	});

	it("resolves encoded dot segments before routing, so they never name a model", async () => {
		// The URL parser turns /%2E%2E into "..", which removes a segment: no route matches.
		const res = await api("/api/device-models/%2E%2E", { token: admin });
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("ROUTE_NOT_FOUND");
	});

	it.each(DEVICE_KEYS)("refuses the device key %s", async (key) => {
		await expectRefused(`/api/devices/${key}`);
		await expectRefused(`/api/devices/${key}/coredumps`);
		await expectRefused(`/api/devices/${key}`, { method: "DELETE" });
	});

	it.each(VERSIONS)("refuses the firmware version %s", async (version) => {
		const base = `/api/device-models/${MODEL}/firmware/versions/${version}`;
		await expectRefused(`${base}/bin`);
		await expectRefused(`${base}/activate`, { method: "POST" });
		await expectRefused(base, { method: "DELETE" });
	});

	it.each(["A".repeat(64), "a".repeat(63), "g".repeat(64), `${"a".repeat(63)}%2F`])(
		"refuses the image hash %s",
		async (sha) => {
			const res = await api(`/api/iot/firmware/${sha}`, { token: device.token });
			expect(res.status).toBe(400);
		},
	);

	it.each([
		["chip=esp32%00&firmware_version=1.0", "chip"],
		["chip=ESP32&firmware_version=1.0", "chip"],
		["chip=esp32%2F..&firmware_version=1.0", "chip"],
		[`chip=esp32&firmware_version=${"1".repeat(65)}`, "firmware_version"],
		["chip=esp32&firmware_version=..%2F..%2Fx", "firmware_version"],
		["chip=esp32&firmware_version=1.0%E2%80%A40", "firmware_version"],
	])("refuses the core dump query %s, naming %s", async (query, field) => {
		const res = await api(`/api/iot/coredump?${query}`, {
			token: device.token,
			body: new Uint8Array([1, 2, 3]),
		});
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.code).toBe("VALIDATION_FAILED");
		expect(JSON.stringify(error.details)).toContain(field);
	});

	it("left storage as it was: the one version, no core dumps, no stray objects", async () => {
		expect(await bucketKeys(`coredumps/`)).toEqual([]);
		expect(await bucketKeys(`staging/`)).toEqual([]);
		const firmware = await bucketKeys("firmware/");
		expect(firmware).toHaveLength(1);
		expect(firmware[0]).toMatch(new RegExp(`^firmware/${MODEL}/1\\.0\\.0/`));
		const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM device_models").first<{
			n: number;
		}>()) ?? { n: -1 };
		expect(n).toBe(1);
	});
});
