/**
 * Concurrency: requests that race each other on one model, after which the
 * invariants of SPEC §6.3 and §7 must hold (test/hardening/invariants.ts). Races run both freely
 * (many requests at once) and in chosen interleavings: a `pause` rule holds one request at a
 * chosen storage call while another one runs to its end.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { buildAppImage, sha256Hex } from "../fixtures/app-image";
import { buildFirmware } from "../fixtures/firmware";
import { faultyBucket, faultyDatabase, gate } from "../helpers/faulty-bindings";
import { bucketKeys, createDevice, createModel, fetchWithEnv, storedKeys } from "../helpers/fleet";
import { adminToken } from "../helpers/tokens";
import { checkCoredumps, checkFirmware, checkModelGone } from "./invariants";

let admin: string | undefined;
const token = async () => {
	admin ??= await adminToken();
	return admin;
};

function upload(model: string, body: Uint8Array, bindings: Partial<Env> = {}) {
	return token().then((t) =>
		fetchWithEnv(bindings, `/api/pipeline/models/${model}/firmware`, {
			method: "POST",
			body,
			headers: { "content-length": String(body.byteLength) },
			token: t,
		}),
	);
}

async function deleteModel(model: string, bindings: Partial<Env> = {}) {
	return fetchWithEnv(bindings, `/api/device-models/${model}`, {
		method: "DELETE",
		token: await token(),
	});
}

/** The current image as a device would get it: its bytes must hash to the ETag. */
async function currentImageIsWhole(model: string): Promise<void> {
	const res = await fetchWithEnv({}, `/api/device-models/${model}/firmware`, {
		token: await token(),
	});
	expect(res.status).toBe(200);
	const etag = res.headers.get("etag")?.replaceAll('"', "");
	expect(await sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(etag);
}

describe("parallel uploads to one model", () => {
	it("8 different versions at once (ZIP and bare), retention at 3: all stored, nothing left over", async () => {
		const model = await createModel("race_versions");
		const bodies = await Promise.all(
			Array.from({ length: 8 }, async (_, i) =>
				i % 2 === 0
					? (await buildFirmware(model, { version: `3.0.${i}`, seed: i + 1 })).zip
					: await buildAppImage({ version: `3.0.${i}`, seed: i + 1 }),
			),
		);
		const results = await Promise.all(
			bodies.map((body) => upload(model, body, { FIRMWARE_KEEP_VERSIONS: "3" })),
		);
		expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
		const state = await checkFirmware(model, []);
		expect(state.versions.length).toBeLessThanOrEqual(3);
		expect(state.versions).toContain(state.current);
		await currentImageIsWhole(model);
	});

	it("8 different versions at once with room for all: every one is stored", async () => {
		const model = await createModel("race_keep_all");
		const results = await Promise.all(
			Array.from({ length: 8 }, async (_, i) =>
				upload(model, (await buildFirmware(model, { version: `4.0.${i}`, seed: i + 1 })).zip),
			),
		);
		expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
		const state = await checkFirmware(model, []);
		expect(state.versions.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `4.0.${i}`));
		await currentImageIsWhole(model);
	});

	it("one version with 8 different images at once: one row, its objects, nothing else", async () => {
		const model = await createModel("race_same_version");
		const images = await Promise.all(
			Array.from({ length: 8 }, (_, i) => buildAppImage({ version: "5.0.0", seed: i + 1 })),
		);
		const results = await Promise.all(images.map((image) => upload(model, image)));
		for (const res of results) {
			// 409 CONCURRENT_UPLOAD tells CI to try again when others kept winning.
			expect([200, 409], await res.clone().text()).toContain(res.status);
		}
		expect(results.some((r) => r.status === 200)).toBe(true);
		const state = await checkFirmware(model, []);
		expect(state.versions).toEqual(["5.0.0"]);
		expect(state.current).toBe("5.0.0");
		const hashes = await Promise.all(images.map(sha256Hex));
		expect(hashes).toContain(state.images[0]?.split(":")[1]);
		await currentImageIsWhole(model);
	});

	it("one version, two images, each sent four times at once: one whole version stays", async () => {
		const model = await createModel("race_two_images");
		const images = [
			(await buildFirmware(model, { version: "6.0.0", seed: 1 })).zip,
			(await buildFirmware(model, { version: "6.0.0", seed: 2 })).zip,
		];
		for (let round = 0; round < 3; round++) {
			const results = await Promise.all(
				Array.from({ length: 8 }, (_, i) => upload(model, images[i % 2] as Uint8Array)),
			);
			for (const res of results) expect([200, 409]).toContain(res.status);
			const state = await checkFirmware(model, []);
			expect(state.versions).toEqual(["6.0.0"]);
			await currentImageIsWhole(model);
		}
	});
});

/**
 * The steps of an upload at which a model delete can strike, as the storage call the upload is
 * held at (the delete runs in full meanwhile, then the upload goes on).
 */
const uploadSteps: {
	step: string;
	zip: boolean;
	rule: { method: "put" | "get" | "batch" | "all"; match?: RegExp; nth?: number };
}[] = [
	{ step: "before staging the bundle", zip: true, rule: { method: "put", match: /^staging\// } },
	{ step: "at the first ranged read", zip: true, rule: { method: "get", match: /^staging\// } },
	{
		step: "at the fifth ranged read",
		zip: true,
		rule: { method: "get", match: /^staging\//, nth: 5 },
	},
	{ step: "before storing the image", zip: true, rule: { method: "put", match: /\.bin$/ } },
	{
		step: "before copying the bundle",
		zip: true,
		rule: { method: "put", match: /^firmware\/.*\.zip$/ },
	},
	{ step: "before the commit batch", zip: true, rule: { method: "batch" } },
	{
		step: "before retention",
		zip: true,
		rule: { method: "all", match: /DELETE FROM firmware_versions/ },
	},
	{ step: "before storing a bare image", zip: false, rule: { method: "put", match: /\.bin$/ } },
	{ step: "before a bare image's commit", zip: false, rule: { method: "batch" } },
];

describe("an upload racing a model delete", () => {
	it.each(uploadSteps)(
		"delete strikes $step: the model is gone, with every object",
		async ({ step, zip, rule }) => {
			const model = await createModel(`race_del_${uploadSteps.findIndex((s) => s.step === step)}`);
			const old = await upload(model, await buildAppImage({ version: "0.9.0", seed: 9 }));
			expect(old.status).toBe(200);
			const body = zip
				? (await buildFirmware(model, { version: "1.0.0", seed: 1 })).zip
				: await buildAppImage({ version: "1.0.0", seed: 1 });
			const held = gate();
			const bindings: Partial<Env> = {};
			const { method, ...pick } = rule;
			if (method === "batch" || method === "all") {
				bindings.DB = faultyDatabase(env.DB, [{ method, ...pick, pause: held.wait }]).database;
			} else {
				bindings.BLOBS = faultyBucket(env.BLOBS, [{ method, ...pick, pause: held.wait }]).bucket;
			}
			const uploading = upload(model, body, bindings);
			await held.reached;
			expect((await deleteModel(model)).status).toBe(204);
			held.open();
			const res = await uploading;
			const answer = await res.text();
			if (step === "before retention") {
				// Committed before the delete: stored, then removed with the model.
				expect(res.status, answer).toBe(200);
			} else {
				// The model is gone: the upload says so, it is not our failure.
				expect(res.status, answer).toBe(404);
				expect(JSON.parse(answer).code).toBe("MODEL_NOT_FOUND");
			}
			await checkModelGone(model);
		},
	);

	it("20 free-running races of upload and delete: either order, nothing left", async () => {
		for (let i = 0; i < 20; i++) {
			const model = await createModel(`race_free_${i}`);
			const body = (await buildFirmware(model, { version: "1.0.0", seed: i + 1 })).zip;
			const [up, del] = await Promise.all([
				upload(model, body),
				// A little later each round, so the delete lands at different steps.
				new Promise((r) => setTimeout(r, i)).then(() => deleteModel(model)),
			]);
			expect([200, 404], await up.clone().text()).toContain(up.status);
			expect(del.status).toBe(204);
			// An upload that won is still removed with the model; one that lost left nothing.
			await checkModelGone(model);
		}
	}, 30_000);
});

/*
 * Bytes sent again while their old objects are being removed: object keys name the upload
 * (`<sha256>-<upload id>.bin`), so the new upload writes objects of its own and the delete in
 * flight only removes the old ones. With keys derived from model, version and hash alone, the
 * delete removed the objects of the row just committed.
 */
describe("bytes that come back while their old objects are being removed", () => {
	it("a replaced image uploaded again while the replacing upload removes it stays whole", async () => {
		const model = await createModel("race_aba_replace");
		const a = await buildAppImage({ version: "7.0.0", seed: 1 });
		const b = await buildAppImage({ version: "7.0.0", seed: 2 });
		expect((await upload(model, a)).status).toBe(200);
		const aKey = (await storedKeys(model, "7.0.0")).image_key;
		// B replaces A and is held just before it removes A's objects...
		const held = gate();
		const r2 = faultyBucket(env.BLOBS, [
			{ method: "delete", match: (k) => k.includes(aKey), pause: held.wait },
		]);
		const replacing = upload(model, b, { BLOBS: r2.bucket });
		await held.reached;
		// ...while CI sends A again: it replaces B and writes A's objects under the same keys.
		expect((await upload(model, a)).status).toBe(200);
		held.open();
		expect((await replacing).status).toBe(200);
		const state = await checkFirmware(model);
		expect(state.images).toEqual([`7.0.0:${await sha256Hex(a)}`]);
	});

	it("a deleted version uploaded again while its delete removes its objects stays whole", async () => {
		const model = await createModel("race_aba_delete");
		const a = await buildAppImage({ version: "7.0.0", seed: 1 });
		expect((await upload(model, a)).status).toBe(200);
		expect((await upload(model, await buildAppImage({ version: "8.0.0", seed: 2 }))).status).toBe(
			200,
		);
		const held = gate();
		const r2 = faultyBucket(env.BLOBS, [{ method: "delete", pause: held.wait }]);
		const deleting = fetchWithEnv(
			{ BLOBS: r2.bucket },
			`/api/device-models/${model}/firmware/versions/7.0.0`,
			{ method: "DELETE", token: await token() },
		);
		await held.reached;
		expect((await upload(model, a)).status).toBe(200);
		held.open();
		expect((await deleting).status).toBe(204);
		const state = await checkFirmware(model);
		expect(state.current).toBe("7.0.0");
	});
});

describe("core dumps racing retention", () => {
	it("30 dumps from one device at once with retention at 4: 4 rows, their objects, nothing else", async () => {
		const model = await createModel("race_dumps");
		const device = await createDevice(model);
		const results = await Promise.all(
			Array.from({ length: 30 }, (_, i) => {
				const body = Uint8Array.from({ length: 300 + i }, (_, j) => (i * 7 + j) & 255);
				return fetchWithEnv(
					{ COREDUMP_LIMITER: undefined, COREDUMP_KEEP_PER_DEVICE: "4" },
					"/api/iot/coredump?chip=esp32&firmware_version=1.0.0",
					{ method: "POST", body, token: device.token },
				);
			}),
		);
		expect(results.map((r) => r.status)).toEqual(Array(30).fill(201));
		const state = await checkCoredumps(model, device.key, 4, []);
		expect(state.ids).toHaveLength(4);
	});

	it("dumps from 5 devices at once while one device is deleted: the others keep theirs", async () => {
		const model = await createModel("race_dump_delete");
		const devices = await Promise.all(Array.from({ length: 5 }, () => createDevice(model)));
		const sends = devices.flatMap((device, d) =>
			Array.from({ length: 6 }, (_, i) =>
				fetchWithEnv(
					{ COREDUMP_LIMITER: undefined, COREDUMP_KEEP_PER_DEVICE: "3" },
					"/api/iot/coredump?chip=esp32&firmware_version=1.0.0",
					{ method: "POST", body: new Uint8Array(200).fill(d * 10 + i + 1), token: device.token },
				),
			),
		);
		const doomed = devices[0] as { key: string };
		const [deleted] = await Promise.all([
			fetchWithEnv({}, `/api/devices/${doomed.key}`, { method: "DELETE", token: await token() }),
			...sends,
		]);
		expect(deleted?.status).toBe(204);
		const statuses = (await Promise.all(sends)).map((r) => r.status);
		// The deleted device's own uploads may find it gone; nobody else's may fail.
		expect(statuses.slice(6)).toEqual(Array(24).fill(201));
		for (const s of statuses.slice(0, 6)) expect([201, 404]).toContain(s);
		expect(await bucketKeys(`coredumps/${model}/${doomed.key}/`)).toEqual([]);
		for (const device of devices.slice(1)) await checkCoredumps(model, device.key, 3, []);
	});
});
