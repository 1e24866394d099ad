import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, errorOf } from "../helpers/api";
import { bucketKeys, bytesOf, createDevice, createModel, fetchWithEnv } from "../helpers/fleet";
import { adminToken, pipelineToken } from "../helpers/tokens";

const MODEL = "inspect";
const random = (size: number) => crypto.getRandomValues(new Uint8Array(size));

interface Uploaded {
	id: string;
	filename: string;
	bytes: Uint8Array;
}

async function upload(token: string, bytes: Uint8Array, version = "7.0.1"): Promise<Uploaded> {
	const res = await fetchWithEnv(
		{ COREDUMP_LIMITER: undefined },
		`/api/iot/coredump?chip=esp32c6&firmware_version=${version}`,
		{ method: "POST", token, body: bytes },
	);
	expect(res.status).toBe(201);
	return { ...(await res.json<{ id: string; filename: string }>()), bytes };
}

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

let admin: string;
let device: { key: string; token: string };
let dumps: Uploaded[];
const base = () => `/api/devices/${device.key}/coredumps`;

function oldest(): Uploaded {
	const [first] = dumps;
	if (!first) throw new Error("the fixture dumps were not uploaded");
	return first;
}

beforeAll(async () => {
	admin = await adminToken();
	await createModel(MODEL);
	device = await createDevice(MODEL);
	dumps = [];
	for (const version of ["7.0.1", "7.0.2", "7.0.3"]) {
		dumps.push(await upload(device.token, random(5000), version));
	}
});

describe("GET /api/devices/{key}/coredumps", () => {
	it("lists the device's dumps newest first with their metadata", async () => {
		const res = await api(base(), { token: admin });
		expect(res.status).toBe(200);
		const body = await res.json<{ coredumps: Record<string, unknown>[]; count: number }>();
		expect(body.count).toBe(3);
		const order = (d: Record<string, unknown>) => `${d.uploaded_at} ${d.filename}`;
		const sorted = [...body.coredumps].sort((a, b) => (order(a) < order(b) ? 1 : -1));
		expect(body.coredumps).toEqual(sorted);
		expect(body.coredumps.map((d) => d.id).sort()).toEqual(dumps.map((d) => d.id).sort());
		expect(Object.keys(body.coredumps[0] ?? {}).sort()).toEqual(
			[
				"chip",
				"device_key",
				"filename",
				"firmware_version",
				"id",
				"model_code",
				"sha256",
				"size",
				"uploaded_at",
				// the analysis in brief (SPEC §10)
				"status",
				"error_code",
				"crashed_task",
				"panic_reason",
				"exception",
				"signature",
			].sort(),
		);
	});

	it("answers 404 DEVICE_NOT_FOUND for an unknown device and 400 for a malformed key", async () => {
		const ghost = device.key === "zzzzzzzz" ? "yyyyyyyy" : "zzzzzzzz";
		await expectError(
			await api(`/api/devices/${ghost}/coredumps`, { token: admin }),
			404,
			"DEVICE_NOT_FOUND",
		);
		await expectError(
			await api("/api/devices/NOPE/coredumps", { token: admin }),
			400,
			"VALIDATION_FAILED",
		);
	});
});

describe("one core dump", () => {
	it("gives its metadata, and 404 or 400 for ids that are not the device's", async () => {
		const first = oldest();
		const res = await api(`${base()}/${first.id}`, { token: admin });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			id: first.id,
			filename: first.filename,
			firmware_version: "7.0.1",
			chip: "esp32c6",
			size: 5000,
		});
		await expectError(
			await api(`${base()}/${crypto.randomUUID()}`, { token: admin }),
			404,
			"COREDUMP_NOT_FOUND",
		);
		await expectError(await api(`${base()}/not-an-id`, { token: admin }), 400, "VALIDATION_FAILED");
		const other = await createDevice(MODEL);
		const cross = await api(`/api/devices/${other.key}/coredumps/${first.id}`, { token: admin });
		await expectError(cross, 404, "COREDUMP_NOT_FOUND");
	});

	it("downloads the exact bytes under the stored file name", async () => {
		for (const dump of dumps) {
			const res = await api(`${base()}/${dump.id}/download`, { token: admin });
			expect(res.status).toBe(200);
			expect(res.headers.get("content-type")).toBe("application/octet-stream");
			expect(res.headers.get("content-length")).toBe("5000");
			expect(res.headers.get("content-disposition")).toBe(
				`attachment; filename="${dump.filename}"`,
			);
			expect(await bytesOf(res)).toEqual(dump.bytes);
		}
	});

	it("answers 404 COREDUMP_NOT_FOUND for a download whose object is gone", async () => {
		const lost = await upload(device.token, random(10));
		await env.BLOBS.delete(`coredumps/${MODEL}/${device.key}/${lost.filename}`);
		const res = await api(`${base()}/${lost.id}/download`, { token: admin });
		await expectError(res, 404, "COREDUMP_NOT_FOUND");
		expect((await api(`${base()}/${lost.id}`, { method: "DELETE", token: admin })).status).toBe(
			204,
		);
	});

	it("deletes one dump, row and object, and leaves the others", async () => {
		const doomed = await upload(device.token, random(20));
		const res = await api(`${base()}/${doomed.id}`, { method: "DELETE", token: admin });
		expect(res.status).toBe(204);
		expect(await env.BLOBS.head(`coredumps/${MODEL}/${device.key}/${doomed.filename}`)).toBeNull();
		await expectError(
			await api(`${base()}/${doomed.id}`, { token: admin }),
			404,
			"COREDUMP_NOT_FOUND",
		);
		const again = await api(`${base()}/${doomed.id}`, { method: "DELETE", token: admin });
		await expectError(again, 404, "COREDUMP_NOT_FOUND");
		const list = await api(base(), { token: admin });
		expect((await list.json<{ count: number }>()).count).toBe(3);
	});
});

describe("deleting many", () => {
	it("deletes every dump of a device and keeps the device", async () => {
		const other = await createDevice(MODEL);
		await upload(other.token, random(30));
		await upload(other.token, random(40));
		const res = await api(`/api/devices/${other.key}/coredumps`, {
			method: "DELETE",
			token: admin,
		});
		expect(res.status).toBe(204);
		const list = await api(`/api/devices/${other.key}/coredumps`, { token: admin });
		expect(await list.json()).toEqual({ coredumps: [], count: 0 });
		expect(await bucketKeys(`coredumps/${MODEL}/${other.key}/`)).toEqual([]);
		expect((await api(`/api/devices/${other.key}`, { token: admin })).status).toBe(200);
		expect((await api(base(), { token: admin })).status).toBe(200);
		expect(await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).toHaveLength(3);
	});

	it("removes a deleted device's dumps: no rows and no objects under its prefix", async () => {
		const doomed = await createDevice(MODEL);
		await upload(doomed.token, random(50));
		await upload(doomed.token, random(60));
		expect(await bucketKeys(`coredumps/${MODEL}/${doomed.key}/`)).toHaveLength(2);
		const res = await api(`/api/devices/${doomed.key}`, { method: "DELETE", token: admin });
		expect(res.status).toBe(204);
		expect(await bucketKeys(`coredumps/${MODEL}/${doomed.key}/`)).toEqual([]);
		const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM coredumps WHERE device_key = ?1")
			.bind(doomed.key)
			.first<{ n: number }>();
		expect(rows?.n).toBe(0);
	});
});

describe("who may look", () => {
	const paths = () => {
		const id = oldest().id;
		return [
			["GET", base()],
			["GET", `${base()}/${id}`],
			["GET", `${base()}/${id}/download`],
			["DELETE", `${base()}/${id}`],
			["DELETE", base()],
		] as const;
	};

	it("refuses device and pipeline tokens with 403 and anonymous calls with 401", async () => {
		for (const [method, path] of paths()) {
			await expectError(await api(path, { method, token: device.token }), 403, "FORBIDDEN");
			await expectError(
				await api(path, { method, token: await pipelineToken() }),
				403,
				"FORBIDDEN",
			);
			await expectError(await api(path, { method }), 401, "AUTH_REQUIRED");
		}
		expect(await bucketKeys(`coredumps/${MODEL}/${device.key}/`)).toHaveLength(3);
	});

	it("lists every core dump endpoint in the OpenAPI document", async () => {
		const doc = await (await api("/api/openapi.json")).json<{ paths: Record<string, object> }>();
		expect(Object.keys(doc.paths)).toEqual(
			expect.arrayContaining([
				"/api/iot/coredump",
				"/api/devices/{key}/coredumps",
				"/api/devices/{key}/coredumps/{id}",
				"/api/devices/{key}/coredumps/{id}/download",
			]),
		);
	});
});
