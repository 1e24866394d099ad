import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAppImage, flipByte } from "./fixtures/app-image";
import { buildFirmware, noise } from "./fixtures/firmware";
import { api, errorOf } from "./helpers/api";
import {
	bucketKeys,
	bytesOf,
	createModel,
	fetchWithEnv,
	storedKeys,
	uploadFirmware,
} from "./helpers/fleet";
import { adminToken, pipelineToken } from "./helpers/tokens";

let admin: string;
beforeAll(async () => {
	admin = await adminToken();
});

async function versions(model: string) {
	const res = await api(`/api/device-models/${model}/firmware/versions`, { token: admin });
	expect(res.status).toBe(200);
	return res.json<{ versions: Record<string, unknown>[]; count: number }>();
}

describe("firmware upload", () => {
	it("stores a ZIP bundle: image and bundle objects, a version row, and makes it current", async () => {
		const model = await createModel("zip_model", "esp32c3");
		const fw = await buildFirmware(model, { chip: "esp32c3", version: "2.0.1" });
		const res = await uploadFirmware(model, fw.zip, await pipelineToken());
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			code: model,
			firmware_version: "2.0.1",
			format: "zip",
			sha256: fw.sha256,
			size: fw.image.length,
			unchanged: false,
			replaced: false,
			attached: false,
			warnings: [],
		});
		const list = await versions(model);
		expect(list.count).toBe(1);
		expect(list.versions[0]).toMatchObject({
			version: "2.0.1",
			format: "zip",
			sha256: fw.sha256,
			size: fw.image.length,
			chip: "esp32c3",
			project_name: "thermostat",
			idf_version: "v5.4.1",
			git_commit: "0123456789abcdef0123456789abcdef01234567",
			current: true,
		});
		const zip = await api(`/api/device-models/${model}/firmware/versions/2.0.1/zip`, {
			token: admin,
		});
		expect(zip.headers.get("content-type")).toBe("application/zip");
		expect(await bytesOf(zip)).toEqual(fw.zip);
		const bin = await api(`/api/device-models/${model}/firmware/versions/2.0.1/bin`, {
			token: admin,
		});
		expect(await bytesOf(bin)).toEqual(fw.image);
		// Nothing is left in staging; exactly the image, the bundle and its ELF are stored.
		expect(await bucketKeys(`staging/${model}/`)).toEqual([]);
		const stored = await storedKeys(model, "2.0.1");
		expect(stored.image_key).toMatch(
			new RegExp(`^firmware/${model}/2\\.0\\.1/${fw.sha256}-[0-9a-f]{16}\\.bin$`),
		);
		expect(stored.bundle_key).toBe(stored.image_key.replace(/\.bin$/, ".zip"));
		const elfKey = stored.image_key.replace(/\.bin$/, ".elf");
		expect((await bucketKeys(`firmware/${model}/`)).sort()).toEqual(
			[stored.image_key, stored.bundle_key, elfKey].sort(),
		);
		// The ELF is kept whole, byte for byte, for crash analysis (SPEC §10).
		expect(await bytesOf(new Response((await env.BLOBS.get(elfKey))?.body))).toEqual(fw.elf);
		const model_ = await (await api(`/api/device-models/${model}`, { token: admin })).json();
		expect(model_).toMatchObject({ firmware_version: "2.0.1" });
	});

	it("stores a bare app image; the bundle download is then 404", async () => {
		const model = await createModel("bin_model");
		const image = await buildAppImage({ version: "0.9.0", chip: "esp32s3" });
		const res = await uploadFirmware(model, image);
		expect(await res.json()).toMatchObject({
			format: "bin",
			firmware_version: "0.9.0",
			unchanged: false,
		});
		const zip = await api(`/api/device-models/${model}/firmware/versions/0.9.0/zip`, {
			token: admin,
		});
		expect(zip.status).toBe(404);
		expect((await errorOf(zip)).code).toBe("BUNDLE_NOT_FOUND");
		const pipelineView = await api(`/api/pipeline/models/${model}/firmware-version`, {
			token: await pipelineToken(),
		});
		expect(await pipelineView.json()).toEqual({ code: model, firmware_version: "0.9.0" });
	});

	it("treats identical bytes as unchanged and different bytes as a replacement", async () => {
		const model = await createModel("same_version");
		const first = await buildAppImage({ version: "1.0.0", seed: 1 });
		await uploadFirmware(model, first);
		const again = await uploadFirmware(model, first);
		expect(await again.json()).toMatchObject({ unchanged: true, replaced: false });

		const other = await buildAppImage({ version: "1.0.0", seed: 2 });
		const replaced = await uploadFirmware(model, other);
		const body = await replaced.json<{ sha256: string; replaced: boolean }>();
		expect(body.replaced).toBe(true);
		const keys = await bucketKeys(`firmware/${model}/`);
		expect(keys).toEqual([(await storedKeys(model, "1.0.0")).image_key]);
		expect(keys[0]).toContain(body.sha256);
		expect((await versions(model)).count).toBe(1);
	});

	it("warns when version.json names another version, and stores the image's", async () => {
		const model = await createModel("warn_model");
		const fw = await buildFirmware(model, {
			version: "3.1.0",
			versionJson: { git_commit: "abc", idf_version: "v5.4", firmware_version: "3.0.9", extra: 1 },
		});
		const body = await (await uploadFirmware(model, fw.zip)).json<{
			warnings: string[];
			firmware_version: string;
		}>();
		expect(body.firmware_version).toBe("3.1.0");
		expect(body.warnings).toHaveLength(1);
		expect(body.warnings[0]).toContain("3.0.9");
	});

	it("refuses a bundle whose ELF is not the image's (ELF_MISMATCH), storing nothing", async () => {
		const model = await createModel("elf_model");
		const fw = await buildFirmware(model, {
			extraEntries: { [`${model}.elf`]: noise(5000, 99) },
		});
		const res = await uploadFirmware(model, fw.zip);
		expect(res.status).toBe(400);
		expect((await errorOf(res)).code).toBe("ELF_MISMATCH");
		expect(await bucketKeys(`firmware/${model}/`)).toEqual([]);
		expect(await bucketKeys(`staging/${model}/`)).toEqual([]);
		expect((await versions(model)).count).toBe(0);
	});

	it("accepts any ELF when the image names none (all zero)", async () => {
		const model = await createModel("no_elf_hash");
		const image = await buildAppImage({ elfSha256: null, version: "1.2.3" });
		const fw = await buildFirmware(model, { extraEntries: { [`${model}.bin`]: image } });
		const res = await uploadFirmware(model, fw.zip);
		expect(res.status).toBe(200);
	});

	it("refuses an image for another chip than the model's (CHIP_MISMATCH)", async () => {
		const model = await createModel("chip_model", "esp32c6");
		const res = await uploadFirmware(model, await buildAppImage({ chip: "esp32" }));
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.code).toBe("CHIP_MISMATCH");
		expect(error.details).toEqual({ model_chip: "esp32c6", image_chip: "esp32" });
	});

	it("refuses bodies that are neither image nor ZIP, empty bodies and corrupt images", async () => {
		const model = await createModel("bad_bodies");
		const text = await uploadFirmware(model, new TextEncoder().encode("hello world"));
		expect(text.status).toBe(400);
		expect((await errorOf(text)).code).toBe("UNKNOWN_FIRMWARE_FORMAT");
		const empty = await uploadFirmware(model, new Uint8Array());
		expect(empty.status).toBe(400);
		expect((await errorOf(empty)).code).toBe("EMPTY_BODY");
		const image = await buildAppImage();
		const corrupt = await uploadFirmware(model, flipByte(image, 32 + 256 + 40));
		expect(corrupt.status).toBe(400);
		expect((await errorOf(corrupt)).code).toMatch(/^IMAGE_/);
		expect(await bucketKeys(`firmware/${model}/`)).toEqual([]);
	});

	it("answers 404 for an unknown model and 400 for an invalid code, before reading", async () => {
		const res = await uploadFirmware("nosuch", await buildAppImage());
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("MODEL_NOT_FOUND");
		const bad = await uploadFirmware("Bad.Code", await buildAppImage());
		expect(bad.status).toBe(400);
	});

	it("refuses a declared length over FIRMWARE_MAX_BYTES with 413 and an image over APP_IMAGE_MAX_BYTES", async () => {
		const model = await createModel("limits_model");
		const image = await buildAppImage();
		const token = await adminToken();
		const over = await fetchWithEnv(
			{ FIRMWARE_MAX_BYTES: String(image.length - 1) },
			`/api/pipeline/models/${model}/firmware`,
			{
				method: "POST",
				body: image,
				token,
			},
		);
		expect(over.status).toBe(413);
		expect((await errorOf(over)).code).toBe("PAYLOAD_TOO_LARGE");
		const bigImage = await fetchWithEnv(
			{ APP_IMAGE_MAX_BYTES: "1024" },
			`/api/pipeline/models/${model}/firmware`,
			{
				method: "POST",
				body: image,
				token,
			},
		);
		expect(bigImage.status).toBe(413);
		expect(await bucketKeys(`firmware/${model}/`)).toEqual([]);
	});

	it("keeps FIRMWARE_KEEP_VERSIONS versions, the current one always, removing objects too", async () => {
		const model = await createModel("retention");
		const token = await adminToken();
		const shas: string[] = [];
		for (let i = 1; i <= 5; i++) {
			const res = await fetchWithEnv(
				{ FIRMWARE_KEEP_VERSIONS: "3" },
				`/api/pipeline/models/${model}/firmware`,
				{
					method: "POST",
					body: await buildAppImage({ version: `1.0.${i}`, seed: i }),
					token,
				},
			);
			expect(res.status).toBe(200);
			shas.push((await res.json<{ sha256: string }>()).sha256);
		}
		const list = await versions(model);
		expect(list.versions.map((v) => v.version)).toEqual(["1.0.5", "1.0.4", "1.0.3"]);
		expect((await bucketKeys(`firmware/${model}/`)).sort()).toEqual(
			(
				await Promise.all(
					[3, 4, 5].map(async (i) => (await storedKeys(model, `1.0.${i}`)).image_key),
				)
			).sort(),
		);
	});

	it("is refused to device tokens and to callers without a role", async () => {
		const noRole = await api("/api/pipeline/models/x/firmware", {
			token: await (await import("./helpers/tokens")).signToken({}),
			body: new Uint8Array([0xe9]),
		});
		expect(noRole.status).toBe(403);
		expect(env.DB).toBeDefined();
	});
});
