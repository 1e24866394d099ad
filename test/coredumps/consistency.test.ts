import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { api, errorOf } from "../helpers/api";
import { bucketKeys, createDevice, createModel, fetchWithEnv } from "../helpers/fleet";
import { adminToken } from "../helpers/tokens";

const MODEL = "fragile";
const PATH = "/api/iot/coredump?chip=esp32s2&firmware_version=3.3.3";
const dump = (seed: number) => Uint8Array.from({ length: 100 }, (_, i) => (i * seed) & 255);

/**
 * env.DB, except that statements whose SQL matches `failing` throw when they run (alone or in
 * a batch), and `beforeBatch` runs before any batch does.
 */
function wrappedDb(options: { failing?: RegExp; beforeBatch?: () => Promise<unknown> }) {
	const db = env.DB;
	const doomed = new WeakSet<object>();
	const fail = async () => {
		throw new Error("D1_ERROR: storage operation failed");
	};
	const doom = (statement: D1PreparedStatement): D1PreparedStatement => {
		const proxy = new Proxy(statement, {
			get(target, prop) {
				if (prop === "bind") return (...values: unknown[]) => doom(target.bind(...values));
				if (prop === "run" || prop === "first" || prop === "all" || prop === "raw") return fail;
				const value = Reflect.get(target, prop);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		doomed.add(proxy);
		return proxy;
	};
	return new Proxy(db, {
		get(target, prop) {
			if (prop === "prepare") {
				return (sql: string) => {
					const statement = target.prepare(sql);
					return options.failing?.test(sql) ? doom(statement) : statement;
				};
			}
			if (prop === "batch") {
				return async (statements: D1PreparedStatement[]) => {
					await options.beforeBatch?.();
					if (statements.some((s) => doomed.has(s))) return fail();
					return target.batch(statements);
				};
			}
			const value = Reflect.get(target, prop);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
}

const uploadWith = (overrides: Partial<Env>, token: string, seed: number) =>
	fetchWithEnv({ COREDUMP_LIMITER: undefined, ...overrides }, PATH, {
		method: "POST",
		token,
		body: dump(seed),
	});

let admin: string;
beforeAll(async () => {
	admin = await adminToken();
	await createModel(MODEL);
});

async function rowsOf(key: string) {
	const { results } = await env.DB.prepare(
		"SELECT id, filename, object_key FROM coredumps WHERE device_key = ?1",
	)
		.bind(key)
		.all<{ id: string; filename: string; object_key: string }>();
	return results;
}

describe("a failed index write", () => {
	it("answers 503 COREDUMP_NOT_STORED (send again) and leaves no object behind", async () => {
		const device = await createDevice(MODEL);
		const DB = wrappedDb({ failing: /INSERT INTO coredumps/i });
		const res = await uploadWith({ DB }, device.token, 1);
		expect(res.status).toBe(503);
		const error = await errorOf(res);
		expect(error.code).toBe("COREDUMP_NOT_STORED");
		expect(error.error).not.toMatch(/D1|storage operation/);
		expect(await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).toEqual([]);
		expect(await rowsOf(device.key)).toEqual([]);
	});

	it("answers 404 DEVICE_NOT_FOUND when the device was deleted meanwhile, with no object left", async () => {
		const device = await createDevice(MODEL);
		const DB = wrappedDb({
			beforeBatch: () =>
				env.DB.prepare("DELETE FROM devices WHERE key = ?1").bind(device.key).run(),
		});
		const res = await uploadWith({ DB }, device.token, 2);
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("DEVICE_NOT_FOUND");
		expect(await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).toEqual([]);
		expect(await rowsOf(device.key)).toEqual([]);
	});
});

describe("retention", () => {
	it("removes the oldest dumps beyond COREDUMP_KEEP_PER_DEVICE, rows and objects", async () => {
		const device = await createDevice(MODEL);
		const names: string[] = [];
		for (let seed = 1; seed <= 5; seed++) {
			const res = await uploadWith({ COREDUMP_KEEP_PER_DEVICE: "3" }, device.token, seed);
			expect(res.status).toBe(201);
			names.push((await res.json<{ filename: string }>()).filename);
		}
		const rows = await rowsOf(device.key);
		const newest = [...names].sort().slice(2);
		expect(rows.map((r) => r.filename).sort()).toEqual(newest);
		expect((await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).sort()).toEqual(
			rows.map((r) => r.object_key).sort(),
		);
	});

	it("never removes the dump just uploaded, even when another dump looks newer", async () => {
		const device = await createDevice(MODEL);
		const future = "coredump_29991231T235959_999zzzzZ.dmp";
		const futureKey = `coredumps/${MODEL}/${device.key}/${future}`;
		await env.BLOBS.put(futureKey, dump(3));
		await env.DB.prepare(
			`INSERT INTO coredumps (id, device_key, model_code, filename, object_key, chip,
         firmware_version, size, sha256, uploaded_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'esp32', '1.0', 100, ?6, '2999-12-31T23:59:59.999Z')`,
		)
			.bind(crypto.randomUUID(), device.key, MODEL, future, futureKey, "0".repeat(64))
			.run();

		const res = await uploadWith({ COREDUMP_KEEP_PER_DEVICE: "1" }, device.token, 4);
		expect(res.status).toBe(201);
		const { id, filename } = await res.json<{ id: string; filename: string }>();
		expect(await rowsOf(device.key)).toEqual([
			{ id, filename, object_key: `coredumps/${MODEL}/${device.key}/${filename}` },
		]);
		expect(await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).toEqual([
			`coredumps/${MODEL}/${device.key}/${filename}`,
		]);
	});

	it("keeps the new dump and answers 201 when retention fails in D1", async () => {
		const device = await createDevice(MODEL);
		expect((await uploadWith({}, device.token, 5)).status).toBe(201);
		const DB = wrappedDb({ failing: /DELETE FROM coredumps/i });
		const res = await uploadWith({ DB, COREDUMP_KEEP_PER_DEVICE: "1" }, device.token, 6);
		expect(res.status).toBe(201);
		const { filename } = await res.json<{ filename: string }>();
		const rows = await rowsOf(device.key);
		expect(rows).toHaveLength(2);
		expect(rows.map((r) => r.filename)).toContain(filename);
		expect(await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).toHaveLength(2);
	});

	it("keeps the new dump and answers 201 when removing old objects fails in R2", async () => {
		const device = await createDevice(MODEL);
		expect((await uploadWith({}, device.token, 7)).status).toBe(201);
		const BLOBS = new Proxy(env.BLOBS, {
			get(target, prop) {
				if (prop === "delete") return async () => Promise.reject(new Error("R2 unavailable"));
				const value = Reflect.get(target, prop);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		const res = await uploadWith({ BLOBS, COREDUMP_KEEP_PER_DEVICE: "1" }, device.token, 8);
		expect(res.status).toBe(201);
		const { filename } = await res.json<{ filename: string }>();
		const list = await api(`/api/devices/${device.key}/coredumps`, { token: admin });
		const listed = (await list.json<{ coredumps: { filename: string }[] }>()).coredumps;
		expect(listed.map((c) => c.filename)).toEqual([filename]);
		expect(await env.BLOBS.head(`coredumps/${MODEL}/${device.key}/${filename}`)).not.toBeNull();
	});
});
