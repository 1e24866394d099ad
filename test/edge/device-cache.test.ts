import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { buildFirmware } from "../fixtures/firmware";
import { api, errorOf } from "../helpers/api";
import { faultyDatabase } from "../helpers/faulty-bindings";
import { bytesOf, createDevice, createModel, fetchWithEnv, uploadFirmware } from "../helpers/fleet";
import { adminToken, deviceToken } from "../helpers/tokens";

/**
 * SPEC §12: a device's record and target version are remembered by the isolate for at most
 * DEVICE_CACHE_SECONDS (30 here, the default). Changes made through another isolate are
 * simulated by writing D1 directly; time is moved with a fake Date, which the Worker's code
 * shares with the tests (one isolate).
 */

const MODEL = "edge_cache";
const SIZE = 200_000;
let v1: { sha256: string; image: Uint8Array };
let v2: { sha256: string; image: Uint8Array };

beforeAll(async () => {
	await createModel(MODEL);
	const first = await buildFirmware(MODEL, { version: "1.0.0", totalSize: SIZE, seed: 1 });
	const second = await buildFirmware(MODEL, { version: "2.0.0", totalSize: SIZE, seed: 2 });
	expect((await uploadFirmware(MODEL, first.zip)).status).toBe(200);
	expect((await uploadFirmware(MODEL, second.zip)).status).toBe(200);
	v1 = first;
	v2 = second;
	// 2.0.0 is current; the tests below move the model back to 1.0.0 when they need a change.
	await setCurrent("2.0.0");
});

let now: number;
beforeEach(() => {
	vi.useFakeTimers({ toFake: ["Date"] });
	now = Date.UTC(2030, 0, 1);
	vi.setSystemTime(now);
});
afterEach(() => {
	vi.useRealTimers();
});

/** Moves the clock on by `seconds`. */
function advance(seconds: number): void {
	now += seconds * 1000;
	vi.setSystemTime(now);
}

/** What another isolate's admin request would do, without this isolate hearing of it. */
async function elsewhere(sql: string, ...params: unknown[]): Promise<void> {
	await env.DB.prepare(sql)
		.bind(...params)
		.run();
}

async function setCurrent(version: string): Promise<void> {
	await elsewhere("UPDATE device_models SET current_version = ?2 WHERE code = ?1", MODEL, version);
}

/** The D1 reads (statements and sessions) a sequence of device requests makes. */
function countingDatabase() {
	const db = faultyDatabase(env.DB, []);
	const reads = () => db.calls().filter((c) => !c.startsWith("prepare "));
	return { DB: db.database, reads };
}

async function versionOf(token: string, overrides: Partial<Env> = {}) {
	const res = await fetchWithEnv(overrides, "/api/iot/firmware-version", { token });
	return res.status === 200
		? (await res.json<{ firmware_version: string }>()).firmware_version
		: res.status;
}

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

async function expectRefused(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

describe("one D1 read per device per DEVICE_CACHE_SECONDS", () => {
	it("serves a whole ESP-IDF partial download with one D1 query, through a D1 session", async () => {
		const device = await createDevice(MODEL);
		const { DB, reads } = countingDatabase();
		const call = (path: string, headers: Record<string, string> = {}) =>
			fetchWithEnv({ DB }, path, { token: device.token, headers });

		const version = await call("/api/iot/firmware-version");
		expect(await version.json()).toMatchObject({ firmware_version: "2.0.0", sha256: v2.sha256 });
		const url = `/api/iot/firmware/${v2.sha256}`;
		const probe = await call(url, { range: "bytes=0-0" });
		expect(probe.status).toBe(206);
		const parts: Uint8Array[] = [];
		const step = 64 * 1024;
		for (let offset = 0; offset < SIZE; offset += step) {
			const last = offset + step >= v2.image.length;
			const res = await call(url, {
				range: last ? `bytes=${offset}-` : `bytes=${offset}-${offset + step - 1}`,
			});
			expect(res.status).toBe(206);
			parts.push(await bytesOf(res));
		}
		expect(concat(parts)).toEqual(v2.image);

		// One read for the whole download; the only other statement is the device's first
		// last_seen_at, written at most once per LAST_SEEN_WRITE_SECONDS.
		const read = reads();
		expect(read).toEqual([
			"withSession first-unconstrained",
			expect.stringMatching(/^first SELECT .*\sFROM devices d/s),
			expect.stringMatching(/^run UPDATE devices SET last_seen_at/),
		]);
	});

	it("reads D1 again once the bound has passed", async () => {
		const device = await createDevice(MODEL);
		const { DB, reads } = countingDatabase();
		for (const seconds of [0, 10, 19]) {
			advance(seconds);
			expect(await versionOf(device.token, { DB })).toBe("2.0.0");
		}
		expect(reads().filter((c) => c.startsWith("first"))).toHaveLength(1);
		advance(1); // 30 s after the first read
		expect(await versionOf(device.token, { DB })).toBe("2.0.0");
		expect(reads().filter((c) => c.startsWith("first"))).toHaveLength(2);
	});

	it("reads D1 for every request with DEVICE_CACHE_SECONDS=0", async () => {
		const device = await createDevice(MODEL);
		const { DB, reads } = countingDatabase();
		for (let i = 0; i < 3; i++) {
			expect(await versionOf(device.token, { DB, DEVICE_CACHE_SECONDS: "0" })).toBe("2.0.0");
		}
		expect(reads().filter((c) => c.startsWith("first"))).toHaveLength(3);
	});

	it("applies a shorter bound to what was remembered under a longer one", async () => {
		const device = await createDevice(MODEL);
		const { DB, reads } = countingDatabase();
		const shorter = { DB, DEVICE_CACHE_SECONDS: "5" };
		const queries = () => reads().filter((c) => c.startsWith("first")).length;
		expect(await versionOf(device.token, { DB })).toBe("2.0.0");
		advance(4);
		expect(await versionOf(device.token, shorter)).toBe("2.0.0");
		expect(queries()).toBe(1);
		advance(1);
		expect(await versionOf(device.token, shorter)).toBe("2.0.0");
		expect(queries()).toBe(2);
	});

	it("reads admin requests from the database itself, not from a session", async () => {
		const device = await createDevice(MODEL);
		const { DB, reads } = countingDatabase();
		const res = await fetchWithEnv({ DB }, `/api/devices/${device.key}`, {
			token: await adminToken(),
		});
		expect(res.status).toBe(200);
		expect(reads().some((c) => c.startsWith("withSession"))).toBe(false);
		expect(reads().length).toBeGreaterThan(0);
	});
});

describe("changes made elsewhere reach the device within DEVICE_CACHE_SECONDS", () => {
	it("refuses a deactivated device once the bound has passed", async () => {
		const device = await createDevice(MODEL);
		expect(await versionOf(device.token)).toBe("2.0.0");
		await elsewhere("UPDATE devices SET active = 0 WHERE key = ?1", device.key);

		advance(29);
		expect(await versionOf(device.token)).toBe("2.0.0"); // remembered, within the bound
		advance(1);
		await expectRefused(
			await api("/api/iot/firmware", { token: device.token }),
			403,
			"DEVICE_INACTIVE",
		);
		await expectRefused(
			await api(`/api/iot/firmware/${v2.sha256}`, { token: device.token }),
			403,
			"DEVICE_INACTIVE",
		);
	});

	it("refuses a deleted device once the bound has passed", async () => {
		const device = await createDevice(MODEL);
		expect(await versionOf(device.token)).toBe("2.0.0");
		await elsewhere("DELETE FROM devices WHERE key = ?1", device.key);
		advance(29);
		expect(await versionOf(device.token)).toBe("2.0.0");
		advance(1);
		await expectRefused(
			await api("/api/iot/firmware-version", { token: device.token }),
			404,
			"DEVICE_NOT_FOUND",
		);
	});

	it("refuses a cached device of a model that was deleted, once the bound has passed", async () => {
		const doomed = await createModel("edge_doomed");
		const fw = await buildFirmware(doomed, { version: "9.0.0", totalSize: 50_000 });
		expect((await uploadFirmware(doomed, fw.zip)).status).toBe(200);
		const device = await createDevice(doomed);
		const first = await api("/api/iot/firmware", { token: device.token });
		expect(await bytesOf(first)).toEqual(fw.image);

		// Another isolate deletes the device, then the model (its versions go by cascade).
		await elsewhere("DELETE FROM devices WHERE key = ?1", device.key);
		await elsewhere("DELETE FROM device_models WHERE code = ?1", doomed);
		advance(29);
		const remembered = await api("/api/iot/firmware", { token: device.token });
		expect(await bytesOf(remembered)).toEqual(fw.image);
		advance(1);
		for (const path of [
			"/api/iot/firmware",
			"/api/iot/firmware-version",
			`/api/iot/firmware/${fw.sha256}`,
		]) {
			await expectRefused(await api(path, { token: device.token }), 404, "DEVICE_NOT_FOUND");
		}
	});

	it("serves a new current version once the bound has passed", async () => {
		const device = await createDevice(MODEL);
		expect(await versionOf(device.token)).toBe("2.0.0");
		await setCurrent("1.0.0");
		try {
			advance(29);
			const stale = await api("/api/iot/firmware", { token: device.token });
			expect(stale.headers.get("x-firmware-version")).toBe("2.0.0");
			await stale.body?.cancel();
			advance(1);
			expect(await versionOf(device.token)).toBe("1.0.0");
			const fresh = await api("/api/iot/firmware", { token: device.token });
			expect(fresh.headers.get("etag")).toBe(`"${v1.sha256}"`);
			expect(await bytesOf(fresh)).toEqual(v1.image);
		} finally {
			await setCurrent("2.0.0");
		}
	});

	it("stops serving a superseded target by its hash once the bound has passed", async () => {
		const model = await createModel("edge_byhash");
		const old = await buildFirmware(model, { version: "1.0.0", totalSize: 40_000, seed: 5 });
		const next = await buildFirmware(model, { version: "1.1.0", totalSize: 40_000, seed: 6 });
		expect((await uploadFirmware(model, old.zip)).status).toBe(200);
		expect((await uploadFirmware(model, next.zip)).status).toBe(200);
		const device = await createDevice(model);
		const byHash = () => api(`/api/iot/firmware/${next.sha256}`, { token: device.token });
		expect(await bytesOf(await byHash())).toEqual(next.image);

		// Rolled back elsewhere: the device's target is 1.0.0 again, and only its own target is
		// served by hash.
		await elsewhere(
			"UPDATE device_models SET current_version = ?2 WHERE code = ?1",
			model,
			"1.0.0",
		);
		advance(29);
		expect(await bytesOf(await byHash())).toEqual(next.image);
		advance(1);
		await expectRefused(await byHash(), 404, "FIRMWARE_NOT_FOUND");
	});

	it("applies a change made elsewhere at once with DEVICE_CACHE_SECONDS=0", async () => {
		const device = await createDevice(MODEL);
		const off = { DEVICE_CACHE_SECONDS: "0" };
		expect(await versionOf(device.token, off)).toBe("2.0.0");
		await elsewhere("UPDATE devices SET active = 0 WHERE key = ?1", device.key);
		expect(await versionOf(device.token, off)).toBe(403);
	});
});

describe("changes made through this isolate apply at once", () => {
	it("forgets a device's context when an admin deactivates it, deletes it or uploads", async () => {
		const admin = await adminToken();
		const device = await createDevice(MODEL);
		expect(await versionOf(device.token)).toBe("2.0.0");

		const patch = await api(`/api/devices/${device.key}`, {
			method: "PATCH",
			token: admin,
			json: { active: false },
		});
		expect(patch.status).toBe(200);
		expect(await versionOf(device.token)).toBe(403);
		await api(`/api/devices/${device.key}`, {
			method: "PATCH",
			token: admin,
			json: { active: true },
		});
		expect(await versionOf(device.token)).toBe("2.0.0");

		const activate = await api(`/api/device-models/${MODEL}/firmware/versions/1.0.0/activate`, {
			method: "POST",
			token: admin,
		});
		expect(activate.status).toBe(200);
		try {
			expect(await versionOf(device.token)).toBe("1.0.0");
		} finally {
			await setCurrent("2.0.0");
		}

		const del = await api(`/api/devices/${device.key}`, { method: "DELETE", token: admin });
		expect(del.status).toBe(204);
		expect(await versionOf(device.token)).toBe(404);
	});

	it("does not forget on an admin's reads", async () => {
		const device = await createDevice(MODEL);
		const { DB, reads } = countingDatabase();
		expect(await versionOf(device.token, { DB })).toBe("2.0.0");
		expect((await api("/api/devices", { token: await adminToken() })).status).toBe(200);
		expect(await versionOf(device.token, { DB })).toBe("2.0.0");
		expect(reads().filter((c) => c.startsWith("first"))).toHaveLength(1);
	});
});

describe("the cache key", () => {
	it("refuses a token naming another model while the device is remembered", async () => {
		const other = await createModel("edge_other");
		const device = await createDevice(MODEL);
		expect(await versionOf(device.token)).toBe("2.0.0");
		const res = await api("/api/iot/firmware-version", {
			token: await deviceToken(other, device.key),
		});
		await expectRefused(res, 401, "DEVICE_MODEL_MISMATCH");
	});
});
