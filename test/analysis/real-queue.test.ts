/**
 * Through the real local queue (miniflare runs COREDUMP_QUEUE and its dead-letter queue from
 * wrangler.toml) and the Worker's real decoder: real dumps from several devices are analysed
 * after their upload, and a dump whose bytes cannot be read is retried, then dead-lettered and
 * marked. No ELF is uploaded here, so the dumps stay `unsymbolized`; decoded ones, over two
 * builds, are in two-builds.test.ts.
 */
import { env } from "cloudflare:workers";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { countCrashedDevices } from "../../src/db/crash-groups";
import { api } from "../helpers/api";
import { rawImage, realDump } from "../helpers/coredump/real-dumps";
import { createDevice, createModel } from "../helpers/fleet";
import { adminToken } from "../helpers/tokens";

async function upload(token: string, bytes: Uint8Array, chip: string, version: string) {
	const res = await api(`/api/iot/coredump?chip=${chip}&firmware_version=${version}`, {
		method: "POST",
		token,
		body: bytes,
	});
	expect(res.status).toBe(201);
	return (await res.json<{ id: string }>()).id;
}

/** Polls the admin API until the dump has left `pending` (or the wait runs out). */
async function settled(key: string, id: string, seconds = 40) {
	const admin = await adminToken();
	for (let i = 0; i < seconds * 4; i++) {
		const res = await api(`/api/devices/${key}/coredumps/${id}`, { token: admin });
		const body = await res.json<Record<string, unknown> & { analysis: Record<string, unknown> }>();
		if (body.status !== "pending") return body;
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`dump ${id} was never analysed`);
}

describe("the real local queue", () => {
	it("analyses real dumps of several devices after their upload", async () => {
		const model = await createModel("rq_real", "esp32c3");
		const a = await createDevice(model);
		const b = await createDevice(model);
		const dump = rawImage(realDump("esp32c3"));
		const uart = new TextEncoder().encode(realDump("esp32c3").uart);
		const first = await upload(a.token, dump, "esp32c3", "1.0.0");
		const second = await upload(b.token, uart, "esp32c3", "1.0.0");
		for (const [device, id] of [
			[a, first],
			[b, second],
		] as const) {
			const analysed = await settled(device.key, id);
			expect(analysed).toMatchObject({
				status: "unsymbolized",
				crashed_task: { name: "main" },
				analysis: { format: "elf", chip: "esp32c3", matched_by: null },
			});
		}
		// One provisional group for the one bug, both devices in it.
		const res = await api(`/api/device-models/${model}/crashes`, { token: await adminToken() });
		const { crashes } = await res.json<{ crashes: Record<string, unknown>[] }>();
		expect(crashes).toHaveLength(1);
		expect(crashes[0]).toMatchObject({ symbolized: false, count: 2, device_count: 2 });
		expect(String(crashes[0]?.signature)).toMatch(/^pc:/);
		expect(await countCrashedDevices(env.DB, model, "1.0.0")).toBe(2);

		// The report, and the bundle for gdb: the dump as uploaded, report.txt, analysis.json.
		const admin = await adminToken();
		const report = await api(`/api/devices/${a.key}/coredumps/${first}/report`, { token: admin });
		expect(report.status).toBe(200);
		expect(report.headers.get("content-type")).toMatch(/^text\/plain/);
		expect(await report.text()).toContain("CORE DUMP START");
		const bundle = await api(`/api/devices/${a.key}/coredumps/${first}/bundle`, { token: admin });
		expect(bundle.status).toBe(200);
		expect(bundle.headers.get("content-disposition")).toMatch(
			/^attachment; filename="coredump_.*Z\.zip"$/,
		);
		const files = unzipSync(new Uint8Array(await bundle.arrayBuffer()));
		const names = Object.keys(files);
		expect(names).toHaveLength(3);
		const dumpName = names.find((n) => n.endsWith(".dmp")) ?? "";
		expect(files[dumpName]).toEqual(dump);
		expect(new TextDecoder().decode(files["report.txt"])).toBe(
			await (await api(`/api/devices/${a.key}/coredumps/${first}/report`, { token: admin })).text(),
		);
		expect(JSON.parse(new TextDecoder().decode(files["analysis.json"]))).toMatchObject({
			status: "unsymbolized",
		});
	});

	it("answers 409 ANALYSIS_PENDING for the report of a dump not analysed yet", async () => {
		const model = await createModel("rq_pending", "esp32c3");
		const device = await createDevice(model);
		const id = crypto.randomUUID();
		const now = new Date().toISOString();
		await env.DB.prepare(
			`INSERT INTO coredumps (id, device_key, model_code, filename, object_key, chip,
         firmware_version, size, sha256, uploaded_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'esp32c3', '1.0.0', 10, ?6, ?7)`,
		)
			.bind(
				id,
				device.key,
				model,
				"coredump_20260101T000000_000bbbbbbbbbbbbbbbbZ.dmp",
				`coredumps/${model}/${device.key}/p.dmp`,
				"0".repeat(64),
				now,
			)
			.run();
		const admin = await adminToken();
		for (const what of ["report", "bundle"]) {
			const res = await api(`/api/devices/${device.key}/coredumps/${id}/${what}`, { token: admin });
			expect(res.status).toBe(409);
			expect((await res.json<{ code: string }>()).code).toBe("ANALYSIS_PENDING");
		}
	});

	it("retries a dump whose bytes cannot be read, then marks it ANALYSIS_GAVE_UP", async () => {
		const model = await createModel("rq_dlq", "esp32c3");
		const device = await createDevice(model);
		// A row whose object is gone: every attempt fails reading it, as storage down would.
		const id = crypto.randomUUID();
		const now = new Date().toISOString();
		await env.DB.prepare(
			`INSERT INTO coredumps (id, device_key, model_code, filename, object_key, chip,
         firmware_version, size, sha256, uploaded_at, analysis_requested_at, analysis_enqueued_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'esp32c3', '1.0.0', 10, ?6, ?7, ?7, ?7)`,
		)
			.bind(
				id,
				device.key,
				model,
				"coredump_20260101T000000_000aaaaaaaaaaaaaaaaZ.dmp",
				`coredumps/${model}/${device.key}/missing.dmp`,
				"0".repeat(64),
				now,
			)
			.run();
		await env.COREDUMP_QUEUE?.send({ coredump_id: id });
		const analysed = await settled(device.key, id, 60);
		expect(analysed).toMatchObject({
			status: "failed",
			error_code: "ANALYSIS_GAVE_UP",
			analysis: { status: "failed", error_code: "ANALYSIS_GAVE_UP" },
		});
	}, 90_000);
});
