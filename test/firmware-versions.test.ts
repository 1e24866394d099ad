import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAppImage } from "./fixtures/app-image";
import { buildFirmware } from "./fixtures/firmware";
import { api, errorOf } from "./helpers/api";
import { bucketKeys, createDevice, createModel, uploadFirmware } from "./helpers/fleet";
import { adminToken } from "./helpers/tokens";

let admin: string;
beforeAll(async () => {
	admin = await adminToken();
});

async function upload(model: string, version: string, seed: number) {
	const res = await uploadFirmware(model, await buildAppImage({ version, seed }));
	expect(res.status).toBe(200);
	return (await res.json<{ sha256: string }>()).sha256;
}

const versionsPath = (model: string) => `/api/device-models/${model}/firmware/versions`;

describe("firmware history, activation and deletion", () => {
	it("lists versions newest first and rolls back and forward", async () => {
		const model = await createModel("history");
		const device = await createDevice(model);
		await upload(model, "1.0.0", 1);
		await upload(model, "1.1.0", 2);
		const list = await (await api(versionsPath(model), { token: admin })).json<{
			versions: { version: string; current: boolean }[];
			count: number;
		}>();
		expect(list.versions.map((v) => [v.version, v.current])).toEqual([
			["1.1.0", true],
			["1.0.0", false],
		]);

		const back = await api(`${versionsPath(model)}/1.0.0/activate`, {
			method: "POST",
			token: admin,
		});
		expect(back.status).toBe(200);
		expect(await back.json()).toMatchObject({ code: model, firmware_version: "1.0.0" });
		const head = await api("/api/iot/firmware", { method: "HEAD", token: device.token });
		expect(head.headers.get("x-firmware-version")).toBe("1.0.0");

		const forward = await api(`${versionsPath(model)}/1.1.0/activate`, {
			method: "POST",
			token: admin,
		});
		expect(await forward.json()).toMatchObject({ firmware_version: "1.1.0" });
	});

	it("answers 404 for activating or fetching a version that does not exist", async () => {
		const model = await createModel("missing_version");
		const res = await api(`${versionsPath(model)}/9.9.9/activate`, {
			method: "POST",
			token: admin,
		});
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("VERSION_NOT_FOUND");
		const bin = await api(`${versionsPath(model)}/9.9.9/bin`, { token: admin });
		expect((await errorOf(bin)).code).toBe("VERSION_NOT_FOUND");
		const list = await api(versionsPath("no_model"), { token: admin });
		expect((await errorOf(list)).code).toBe("MODEL_NOT_FOUND");
		const current = await api(`/api/device-models/${model}/firmware`, { token: admin });
		expect((await errorOf(current)).code).toBe("FIRMWARE_NOT_FOUND");
	});

	it("refuses to delete the current version (409) and deletes another with its objects", async () => {
		const model = await createModel("delete_version");
		const old = await upload(model, "1.0.0", 3);
		await upload(model, "2.0.0", 4);
		const current = await api(`${versionsPath(model)}/2.0.0`, { method: "DELETE", token: admin });
		expect(current.status).toBe(409);
		expect((await errorOf(current)).code).toBe("VERSION_IS_CURRENT");

		const res = await api(`${versionsPath(model)}/1.0.0`, { method: "DELETE", token: admin });
		expect(res.status).toBe(204);
		const keys = await bucketKeys(`firmware/${model}/`);
		expect(keys.some((k) => k.includes(old))).toBe(false);
		expect(keys).toHaveLength(1);
		const again = await api(`${versionsPath(model)}/1.0.0`, { method: "DELETE", token: admin });
		expect(again.status).toBe(404);
	});

	it("serves the current image to admins", async () => {
		const model = await createModel("admin_current");
		const image = await buildAppImage({ version: "5.0.0" });
		await uploadFirmware(model, image);
		const res = await api(`/api/device-models/${model}/firmware`, { token: admin });
		expect(res.status).toBe(200);
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(image);
	});

	it("deletes a model with every object of it: no key under its prefixes is left", async () => {
		const model = await createModel("doomed");
		for (let i = 1; i <= 3; i++) {
			const fw = await buildFirmware(model, { version: `0.${i}.0`, seed: i });
			expect((await uploadFirmware(model, fw.zip)).status).toBe(200);
		}
		// image, bundle and ELF of each version
		expect((await bucketKeys(`firmware/${model}/`)).length).toBe(9);
		const res = await api(`/api/device-models/${model}`, { method: "DELETE", token: admin });
		expect(res.status).toBe(204);
		expect(await bucketKeys(`firmware/${model}/`)).toEqual([]);
		expect(await bucketKeys(`coredumps/${model}/`)).toEqual([]);
		expect(await bucketKeys(`staging/${model}/`)).toEqual([]);
		const rows = await env.DB.prepare(
			"SELECT count(*) AS n FROM firmware_versions WHERE model_code = ?1",
		)
			.bind(model)
			.first<{ n: number }>();
		expect(rows?.n).toBe(0);
	});

	it("leaves the other models' objects alone when deleting one", async () => {
		const a = await createModel("keep_a");
		const b = await createModel("keep_a_b");
		await upload(a, "1.0.0", 5);
		await upload(b, "1.0.0", 6);
		await api(`/api/device-models/${a}`, { method: "DELETE", token: admin });
		expect(await bucketKeys(`firmware/${b}/`)).toHaveLength(1);
	});
});
