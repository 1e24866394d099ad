import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { imageCacheKey } from "../src/storage/image-cache";
import { buildAppImage, buildAppImageWithLayout, toHex } from "./fixtures/app-image";
import { buildFirmware } from "./fixtures/firmware";
import { api, errorOf } from "./helpers/api";
import {
	bytesOf,
	createDevice,
	createModel,
	fetchWithEnv,
	storedKeys,
	uploadFirmware,
} from "./helpers/fleet";

const SIZE = 300_000;
let model: string;
let device: { key: string; token: string };
let image: Uint8Array;
let sha256: string;

beforeAll(async () => {
	model = await createModel("dl_model");
	device = await createDevice(model);
	const fw = await buildFirmware(model, { version: "4.0.0", totalSize: SIZE });
	image = fw.image;
	sha256 = fw.sha256;
	expect((await uploadFirmware(model, fw.zip)).status).toBe(200);
});

const get = (headers: Record<string, string> = {}, method = "GET", path = "/api/iot/firmware") =>
	api(path, { method, token: device.token, headers });

describe("firmware download", () => {
	it("serves the whole image with exact length, strong ETag and the SPEC's headers", async () => {
		const res = await get();
		expect(res.status).toBe(200);
		expect(res.headers.get("content-length")).toBe(String(image.length));
		expect(res.headers.get("content-type")).toBe("application/octet-stream");
		expect(res.headers.get("content-disposition")).toBe(
			`attachment; filename="firmware-${model}.bin"`,
		);
		expect(res.headers.get("etag")).toBe(`"${sha256}"`);
		expect(res.headers.get("x-firmware-version")).toBe("4.0.0");
		expect(res.headers.get("accept-ranges")).toBe("bytes");
		expect(await bytesOf(res)).toEqual(image);
	});

	it("answers HEAD with the headers and no body", async () => {
		const res = await get({}, "HEAD");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-length")).toBe(String(image.length));
		expect((await res.arrayBuffer()).byteLength).toBe(0);
	});

	it("downloads the way ESP-IDF's partial download does and reassembles the image", async () => {
		const head = await get({}, "HEAD");
		const total = Number(head.headers.get("content-length"));
		expect(total).toBe(image.length);
		const step = 64 * 1024;
		const parts: Uint8Array[] = [];
		for (let offset = 0; offset < total; offset += step) {
			// The first request's end may be one past the last byte; the last is open-ended.
			const last = offset + step >= total;
			const range = last ? `bytes=${offset}-` : `bytes=${offset}-${offset + step}`;
			const res = await get({ range });
			expect(res.status).toBe(206);
			const end = Math.min(offset + step, total - 1);
			const expectedEnd = last ? total - 1 : end;
			expect(res.headers.get("content-range")).toBe(`bytes ${offset}-${expectedEnd}/${total}`);
			const bytes = await bytesOf(res);
			expect(res.headers.get("content-length")).toBe(String(bytes.length));
			parts.push(bytes.subarray(0, Math.min(step, bytes.length)));
		}
		const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
		let at = 0;
		for (const p of parts) {
			joined.set(p, at);
			at += p.length;
		}
		expect(joined).toEqual(image);
	});

	it("clamps an end past the image, serves suffix ranges, and 416s beyond the end", async () => {
		const clamped = await get({ range: `bytes=0-${image.length + 1000}` });
		expect(clamped.status).toBe(206);
		expect(clamped.headers.get("content-range")).toBe(
			`bytes 0-${image.length - 1}/${image.length}`,
		);
		const suffix = await get({ range: "bytes=-100" });
		expect(await bytesOf(suffix)).toEqual(image.subarray(image.length - 100));
		const resume = await get({ range: "bytes=1000-" });
		expect(await bytesOf(resume)).toEqual(image.subarray(1000));
		const past = await get({ range: `bytes=${image.length}-` });
		expect(past.status).toBe(416);
		expect(past.headers.get("content-range")).toBe(`bytes */${image.length}`);
		expect((await errorOf(past)).code).toBe("RANGE_NOT_SATISFIABLE");
	});

	it("ignores several ranges and invalid ones, answering with the whole image", async () => {
		expect((await get({ range: "bytes=0-1,5-6" })).status).toBe(200);
		expect((await get({ range: "bytes=9-3" })).status).toBe(200);
		expect((await get({ range: "items=0-3" })).status).toBe(200);
	});

	it("answers 304 to If-None-Match with the image hash, the running image's hash, lists and *", async () => {
		for (const inm of [`"${sha256}"`, `W/"${sha256}"`, `"aaaa", "${sha256}"`, "*"]) {
			const res = await get({ "if-none-match": inm });
			expect(res.status).toBe(304);
			expect(res.headers.get("etag")).toBe(`"${sha256}"`);
			expect((await res.arrayBuffer()).byteLength).toBe(0);
		}
		// A device sends esp_partition_get_sha256(): the hash appended to the image.
		const appended = toHex(image.subarray(image.length - 32));
		expect((await get({ "if-none-match": `"${appended}"` })).status).toBe(304);
		expect((await get({ "if-none-match": `"${"0".repeat(64)}"` })).status).toBe(200);
	});

	it("serves the whole image when If-Range names a stale ETag, the range when it matches", async () => {
		const stale = await get({ range: "bytes=10-19", "if-range": `"${"1".repeat(64)}"` });
		expect(stale.status).toBe(200);
		expect(await bytesOf(stale)).toEqual(image);
		const fresh = await get({ range: "bytes=10-19", "if-range": `"${sha256}"` });
		expect(fresh.status).toBe(206);
		expect(await bytesOf(fresh)).toEqual(image.subarray(10, 20));
	});

	it("serves by hash only the device's target: a superseded image is not resumed, the new one is", async () => {
		const other = await createModel("dl_pinned");
		const dev = await createDevice(other);
		const v1 = await buildAppImage({ version: "1.0.0", totalSize: 200_000, seed: 11 });
		const v1sha = (await (await uploadFirmware(other, v1)).json<{ sha256: string }>()).sha256;
		const first = await api(`/api/iot/firmware/${v1sha}`, {
			token: dev.token,
			headers: { range: "bytes=0-65535" },
		});
		expect(first.status).toBe(206);
		expect(first.headers.get("cache-control")).toContain("immutable");
		// v2 is released while the device is downloading v1: resuming v1 is refused, so the
		// device starts over on its new target instead of installing an image it is no longer
		// meant to run (an aborted or halted rollout's image, say).
		const v2 = await buildAppImage({ version: "2.0.0", totalSize: 200_000, seed: 12 });
		const v2sha = (await (await uploadFirmware(other, v2)).json<{ sha256: string }>()).sha256;
		const resumed = await api(`/api/iot/firmware/${v1sha}`, {
			token: dev.token,
			headers: { range: "bytes=65536-" },
		});
		expect(resumed.status).toBe(404);
		expect((await errorOf(resumed)).code).toBe("FIRMWARE_NOT_FOUND");
		const check = await api("/api/iot/firmware-version", { token: dev.token });
		expect(await check.json()).toMatchObject({ firmware_version: "2.0.0", sha256: v2sha });
		const fresh = await api(`/api/iot/firmware/${v2sha}`, { token: dev.token });
		expect(fresh.status).toBe(200);
		expect(await bytesOf(fresh)).toEqual(v2);
	});

	it("answers 404 for a hash that is not an image of the device's model", async () => {
		const res = await get({}, "GET", `/api/iot/firmware/${"ab".repeat(32)}`);
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("FIRMWARE_NOT_FOUND");
		const bad = await get({}, "GET", "/api/iot/firmware/not-a-hash");
		expect(bad.status).toBe(400);
	});

	it("reports the current version to devices, nulls when there is none", async () => {
		const res = await api("/api/iot/firmware-version", { token: device.token });
		expect(await res.json()).toEqual({ firmware_version: "4.0.0", sha256, size: image.length });
		const empty = await createModel("dl_empty");
		const dev = await createDevice(empty);
		const none = await api("/api/iot/firmware-version", { token: dev.token });
		expect(await none.json()).toEqual({ firmware_version: null, sha256: null, size: null });
		const noImage = await api("/api/iot/firmware", { token: dev.token });
		expect(noImage.status).toBe(404);
		expect((await errorOf(noImage)).code).toBe("FIRMWARE_NOT_FOUND");
	});

	it("serves from this location's cache once filled, even without the R2 object", async () => {
		const m = await createModel("dl_cached");
		const dev = await createDevice(m);
		const img = await buildAppImage({ version: "7.0.0", totalSize: 100_000, seed: 21 });
		const sha = (await (await uploadFirmware(m, img)).json<{ sha256: string }>()).sha256;
		const first = await fetchWithEnv({}, "/api/iot/firmware", { token: dev.token });
		expect(await bytesOf(first)).toEqual(img);
		expect((await storedKeys(m, "7.0.0")).image_key).toContain(sha);
		await env.BLOBS.delete((await storedKeys(m, "7.0.0")).image_key);
		const whole = await api("/api/iot/firmware", { token: dev.token });
		expect(await bytesOf(whole)).toEqual(img);
		const part = await api("/api/iot/firmware", {
			token: dev.token,
			headers: { range: "bytes=5-" },
		});
		expect(part.status).toBe(206);
		expect(part.headers.get("content-range")).toBe(`bytes 5-${img.length - 1}/${img.length}`);
		expect(await bytesOf(part)).toEqual(img.subarray(5));
	});

	it("takes the image out of the bundle when its object is missing, and stores it again", async () => {
		const key = (await storedKeys(model, "4.0.0")).image_key;
		await caches.default.delete(imageCacheKey(sha256));
		await env.BLOBS.delete(key);
		const res = await get({ range: "bytes=100-199" });
		expect(res.status).toBe(206);
		expect(await bytesOf(res)).toEqual(image.subarray(100, 200));
		let restored: R2Object | null = null;
		for (let i = 0; i < 50 && !restored; i++) {
			restored = await env.BLOBS.head(key);
			if (!restored) await new Promise((r) => setTimeout(r, 20));
		}
		expect(restored?.size).toBe(image.length);
	});

	it("serves an image with no appended hash too", async () => {
		const m = await createModel("dl_nohash");
		const dev = await createDevice(m);
		const { bytes } = await buildAppImageWithLayout({ hashAppended: false, version: "1.0.0" });
		expect((await uploadFirmware(m, bytes)).status).toBe(200);
		expect(await bytesOf(await api("/api/iot/firmware", { token: dev.token }))).toEqual(bytes);
	});
});
