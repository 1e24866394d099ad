import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sweepUnreferencedObjects } from "../../src/services/object-sweep";
import { buildAppImage } from "../fixtures/app-image";
import { api } from "../helpers/api";
import { faultyBucket } from "../helpers/faulty-bindings";
import {
	bucketKeys,
	createDevice,
	createModel,
	fetchWithEnv,
	storedKeys,
	uploadFirmware,
} from "../helpers/fleet";
import { captureLogs } from "../helpers/log-capture";
import { runScheduledAt } from "../helpers/notify-queue";
import { adminToken } from "../helpers/tokens";

/*
 * SPEC §13: the scheduled run removes objects no row references once they are an hour old —
 * what a delete leaves when R2 fails after D1 dropped the rows — and logs each one. Objects rows
 * still name, young objects, objects of an upload in flight and prefixes nobody vouches for are
 * never touched.
 */

afterEach(() => vi.restoreAllMocks());

const HOUR = 60 * 60 * 1000;
/** The first scheduled time on minute 0 (the sweep is hourly) at least `ms` from now. */
const onTheHour = (ms: number) => {
	const at = Date.now() + ms;
	const t = new Date(at);
	t.setUTCMinutes(0, 0, 0);
	return t.getTime() < at ? new Date(t.getTime() + HOUR) : t;
};

/** Deletes through the API with R2 deletes failing: the rows go, the objects stay. */
async function deleteWithFailingR2(path: string) {
	const blobs = faultyBucket(env.BLOBS, [{ method: "delete", times: Number.POSITIVE_INFINITY }]);
	const res = await fetchWithEnv({ BLOBS: blobs.bucket }, path, {
		method: "DELETE",
		token: await adminToken(),
	});
	expect(blobs.fired()).toBeGreaterThan(0);
	return res;
}

async function allKeys(): Promise<string[]> {
	return (await bucketKeys("")).sort();
}

describe("the sweep of unreferenced objects", () => {
	it("removes what failed deletes left behind, once an hour old, and logs it", async () => {
		const model = await createModel("sweep_a");
		const device = await createDevice(model);
		expect(
			(await uploadFirmware(model, await buildAppImage({ version: "1.0.0", seed: 1 }))).status,
		).toBe(200);
		expect(
			(await uploadFirmware(model, await buildAppImage({ version: "2.0.0", seed: 2 }))).status,
		).toBe(200);
		const old = await storedKeys(model, "1.0.0");
		const kept = await storedKeys(model, "2.0.0");
		const dump = await api("/api/iot/coredump?chip=esp32&firmware_version=2.0.0", {
			token: device.token,
			body: new Uint8Array([1, 2, 3, 4]),
		});
		expect(dump.status).toBe(201);
		const { id } = await dump.json<{ id: string }>();
		const dumpKey = (await bucketKeys(`coredumps/${model}/`))[0];

		const versionDelete = await deleteWithFailingR2(
			`/api/device-models/${model}/firmware/versions/1.0.0`,
		);
		expect(versionDelete.status).toBeGreaterThanOrEqual(500);
		await deleteWithFailingR2(`/api/devices/${device.key}/coredumps/${id}`);
		// Objects of another kind, that no reference source vouches for, are never swept.
		await env.BLOBS.put("elsewhere/sweep_a/notes.txt", "kept");
		const before = await allKeys();
		expect(before).toEqual(expect.arrayContaining([old.image_key, dumpKey, kept.image_key]));

		// Younger than an hour: untouched.
		await runScheduledAt(env, onTheHour(0));
		expect(await allKeys()).toEqual(before);

		const logs = captureLogs();
		await runScheduledAt(env, onTheHour(2 * HOUR));
		const after = await allKeys();
		expect(after).not.toContain(old.image_key);
		expect(after).not.toContain(dumpKey);
		expect(after).toContain(kept.image_key);
		expect(after).toContain("elsewhere/sweep_a/notes.txt");
		expect(before.filter((k) => !after.includes(k)).sort()).toEqual(
			[old.image_key, dumpKey].sort(),
		);
		const removedLogged = logs.lines
			.filter((l) => l.text.includes("removed unreferenced objects"))
			.flatMap((l) => (JSON.parse(l.text) as { keys: string[] }).keys);
		expect(removedLogged.sort()).toEqual([old.image_key, dumpKey].sort());
		// The version that is still stored downloads as before.
		const download = await api(`/api/device-models/${model}/firmware`, {
			token: await adminToken(),
		});
		expect(download.status).toBe(200);
	});

	it("keeps the objects of an upload in flight: its staging object is younger than the upload limit", async () => {
		const model = await createModel("sweep_b");
		const uploadId = "0123456789abcdef";
		const sha = "ab".repeat(32);
		const staging = `staging/${model}/${uploadId}.zip`;
		const image = `firmware/${model}/3.0.0/${sha}-${uploadId}.bin`;
		const bundle = `firmware/${model}/3.0.0/${sha}-${uploadId}.zip`;
		for (const key of [staging, image, bundle]) await env.BLOBS.put(key, "bytes");

		await sweepUnreferencedObjects(env, new Date(Date.now() + 2 * HOUR));
		expect(await bucketKeys(`firmware/${model}/`)).toEqual([image, bundle].sort());
		expect(await bucketKeys(`staging/${model}/`)).toEqual([staging]);

		// Long past any upload's time limit, the staging object and the objects go too.
		await sweepUnreferencedObjects(env, new Date(Date.now() + 7 * HOUR));
		expect(await bucketKeys(`firmware/${model}/`)).toEqual([]);
		expect(await bucketKeys(`staging/${model}/`)).toEqual([]);
	});

	it("covers a prefix over several runs, resuming where the last one stopped", async () => {
		const model = await createModel("sweep_c");
		const keys = Array.from(
			{ length: 25 },
			(_, i) =>
				`coredumps/${model}/aaaa000${i % 2}/coredump_20260101T000000_${i.toString(36)}Z.dmp`,
		);
		for (const key of keys) await env.BLOBS.put(key, "dump");
		const later = new Date(Date.now() + 2 * HOUR);
		const sources = (await import("../../src/services/reference-sources")).REFERENCE_SOURCES.filter(
			(s) => s.prefix === "coredumps/",
		);

		const first = await sweepUnreferencedObjects(env, later, {
			sources,
			pagesPerPrefix: 2,
			pageSize: 10,
		});
		expect(first).toMatchObject([{ prefix: "coredumps/", finished: false }]);
		const left = await bucketKeys(`coredumps/${model}/`);
		expect(left.length).toBeLessThan(25);
		expect(left.length).toBeGreaterThan(0);

		const second = await sweepUnreferencedObjects(env, later, {
			sources,
			pagesPerPrefix: 2,
			pageSize: 10,
		});
		expect(second).toMatchObject([{ prefix: "coredumps/", resumed_from_cursor: true }]);
		// A third run starts over from the beginning once the end was reached.
		await sweepUnreferencedObjects(env, later, { sources, pagesPerPrefix: 2, pageSize: 10 });
		expect(await bucketKeys(`coredumps/${model}/`)).toEqual([]);
	});

	it("runs only on the hour, and a failing step does not stop the others", async () => {
		const model = await createModel("sweep_d");
		const key = `coredumps/${model}/aaaa0001/coredump_20260101T000000_zzZ.dmp`;
		await env.BLOBS.put(key, "dump");
		const notOnTheHour = new Date(onTheHour(2 * HOUR).getTime() + 5 * 60_000);
		await runScheduledAt(env, notOnTheHour);
		expect(await bucketKeys(`coredumps/${model}/`)).toEqual([key]);

		// D1 fails the crash guard's and the steps' reads; the sweep still runs.
		const failingDb = new Proxy(env.DB, {
			get(target, property) {
				const value = Reflect.get(target, property);
				if (property === "prepare") {
					return (sql: string) => {
						if (/FROM rollouts/.test(sql)) throw new Error("D1_ERROR: rollouts unavailable");
						return target.prepare(sql);
					};
				}
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		const logs = captureLogs();
		await runScheduledAt({ ...env, DB: failingDb }, onTheHour(2 * HOUR));
		expect(await bucketKeys(`coredumps/${model}/`)).toEqual([]);
		const failed = logs.lines.filter((l) => l.text.includes("scheduled step failed"));
		expect(failed.map((l) => (JSON.parse(l.text) as { step: string }).step)).toEqual([
			"crash_guard",
			"rollout_steps",
		]);
	});
});
