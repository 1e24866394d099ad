import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { api, errorOf } from "../helpers/api";
import { bucketKeys, createDevice, createModel, fetchWithEnv } from "../helpers/fleet";
import { adminToken } from "../helpers/tokens";

const PATH = "/api/iot/coredump?chip=esp32&firmware_version=5.1";
const MODEL = "flood";
const dump = (seed: number) => Uint8Array.from({ length: 200 }, (_, i) => (i + seed) & 255);

/** A limiter that lets the first `allowed` calls through and records the keys it was asked. */
function countingLimiter(allowed: number) {
	const keys: string[] = [];
	const limiter = {
		limit: async ({ key }: { key: string }) => {
			keys.push(key);
			return { success: keys.length <= allowed };
		},
	};
	return { limiter: limiter as RateLimit, keys };
}

/** A body that records whether anything read it. */
function watchedBody() {
	const state = { pulled: false };
	const stream = new ReadableStream<Uint8Array>(
		{
			pull(controller) {
				state.pulled = true;
				controller.enqueue(new Uint8Array([1, 2, 3]));
				controller.close();
			},
		},
		{ highWaterMark: 0 },
	);
	return { stream, state };
}

const uploadWith = (overrides: Partial<Env>, token: string, body: BodyInit) =>
	fetchWithEnv(overrides, PATH, { method: "POST", token, body });

let admin: string;
beforeAll(async () => {
	admin = await adminToken();
	await createModel(MODEL);
});

async function listed(key: string) {
	const res = await api(`/api/devices/${key}/coredumps`, { token: admin });
	expect(res.status).toBe(200);
	return (await res.json<{ coredumps: { id: string; sha256: string; filename: string }[] }>())
		.coredumps;
}

describe("the per-device rate limit", () => {
	it("answers 429 RATE_LIMITED with Retry-After, reads nothing and keeps what came before", async () => {
		const device = await createDevice(MODEL);
		const { limiter, keys } = countingLimiter(2);
		const overrides = { COREDUMP_LIMITER: limiter, COREDUMP_RETRY_AFTER_SECONDS: "17" };
		expect((await uploadWith(overrides, device.token, dump(1))).status).toBe(201);
		expect((await uploadWith(overrides, device.token, dump(2))).status).toBe(201);
		const body = watchedBody();
		const res = await uploadWith(overrides, device.token, body.stream);
		expect(res.status).toBe(429);
		expect(res.headers.get("retry-after")).toBe("17");
		const error = await errorOf(res);
		expect(error.code).toBe("RATE_LIMITED");
		expect(error.details).toEqual({ retry_after_seconds: 17 });
		expect(body.state.pulled).toBe(false);
		const oversized = await uploadWith(
			{ ...overrides, COREDUMP_MAX_BYTES: "10" },
			device.token,
			dump(3),
		);
		expect(oversized.status).toBe(429);
		expect(keys).toEqual([device.key, device.key, device.key, device.key]);
		expect(await listed(device.key)).toHaveLength(2);
		expect(await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).toHaveLength(2);
	});

	it("is checked after the query parameters", async () => {
		const device = await createDevice(MODEL);
		const { limiter, keys } = countingLimiter(0);
		const res = await fetchWithEnv({ COREDUMP_LIMITER: limiter }, "/api/iot/coredump?chip=esp32", {
			method: "POST",
			token: device.token,
			body: dump(1),
		});
		expect(res.status).toBe(400);
		expect(keys).toEqual([]);
	});

	it("means no limit when the binding is absent", async () => {
		const device = await createDevice(MODEL);
		for (let i = 0; i < 12; i++) {
			expect(
				(await uploadWith({ COREDUMP_LIMITER: undefined }, device.token, dump(i))).status,
			).toBe(201);
		}
		expect(await listed(device.key)).toHaveLength(12);
	});

	it("lets the dump through when the limiter fails", async () => {
		const device = await createDevice(MODEL);
		const broken = {
			limit: async () => {
				throw new Error("limiter unavailable");
			},
		} as RateLimit;
		const res = await uploadWith({ COREDUMP_LIMITER: broken }, device.token, dump(9));
		expect(res.status).toBe(201);
		expect(await listed(device.key)).toHaveLength(1);
	});

	it("holds with the configured binding: 50 concurrent uploads are stored or refused", async () => {
		const device = await createDevice(MODEL);
		const responses = await Promise.all(
			Array.from({ length: 50 }, (_, i) =>
				api(PATH, { method: "POST", token: device.token, body: dump(i) }),
			),
		);
		const statuses = responses.map((r) => r.status);
		expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
		const stored = statuses.filter((s) => s === 201).length;
		// 10 per 60 s window: at least the first window's 10, at most two windows' worth.
		expect(stored).toBeGreaterThanOrEqual(10);
		expect(stored).toBeLessThanOrEqual(20);
		for (const res of responses.filter((r) => r.status === 429)) {
			expect(res.headers.get("retry-after")).toBe("60");
		}
		expect(await listed(device.key)).toHaveLength(stored);
	});
});

describe("50 concurrent uploads from one device with retention at 5", () => {
	it("stores or refuses each, with distinct names, 5 rows left and each row's object", async () => {
		const device = await createDevice(MODEL);
		const { limiter } = countingLimiter(40);
		const overrides = { COREDUMP_LIMITER: limiter, COREDUMP_KEEP_PER_DEVICE: "5" };
		const responses = await Promise.all(
			Array.from({ length: 50 }, (_, i) => uploadWith(overrides, device.token, dump(i))),
		);
		expect(responses.map((r) => r.status).sort()).toEqual([
			...Array(40).fill(201),
			...Array(10).fill(429),
		]);
		const accepted = await Promise.all(
			responses
				.filter((r) => r.status === 201)
				.map((r) => r.json<{ filename: string; id: string }>()),
		);
		expect(new Set(accepted.map((a) => a.filename)).size).toBe(40);
		expect(new Set(accepted.map((a) => a.id)).size).toBe(40);

		const rows = await listed(device.key);
		expect(rows).toHaveLength(5);
		const objects = await bucketKeys(`coredumps/${MODEL}/${device.key}/`);
		expect(objects.sort()).toEqual(
			rows.map((r) => `coredumps/${MODEL}/${device.key}/${r.filename}`).sort(),
		);
		for (const row of rows) {
			const object = await env.BLOBS.get(`coredumps/${MODEL}/${device.key}/${row.filename}`);
			expect(object?.customMetadata?.sha256).toBe(row.sha256);
		}
	});
});
