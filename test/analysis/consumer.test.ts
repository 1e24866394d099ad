/**
 * The analysis pipeline of SPEC §10 with analyses made by hand (test/helpers/fake-decoder.ts):
 * upload → queue message → consumer → analysis in D1 (or R2) → the admin API; idempotence,
 * re-analysis, dead letters, and bad input that never crashes the consumer.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { countCrashedDevices } from "../../src/db/crash-groups";
import { INLINE_ANALYSIS_BYTES } from "../../src/services/coredump-analysis";
import { buildFirmware } from "../fixtures/firmware";
import { CapturedQueue } from "../helpers/captured-queue";
import {
	CrashPipeline,
	coredumpJson,
	crashGroups,
	DEAD_LETTER_QUEUE,
} from "../helpers/crash-pipeline";
import { elfPrefix, fakeDecoder, fakeDump, fakeElf } from "../helpers/fake-decoder";
import { bucketKeys, createDevice, createModel, fetchWithEnv } from "../helpers/fleet";
import { runScheduledAt } from "../helpers/notify-queue";
import { adminToken } from "../helpers/tokens";

const FUNCTIONS = { 1107296272: "fail_once", 1107296768: "app_main", 1107297280: "main_task" };
const PCS = [0x42000014, 0x42000210, 0x42000404];

let elf: Uint8Array;
let prefix: string;

beforeAll(async () => {
	elf = fakeElf(FUNCTIONS);
	prefix = await elfPrefix(elf);
});

async function modelWithBundle(code: string, version = "2.0.1") {
	const pipeline = new CrashPipeline();
	await createModel(code, "esp32c3");
	const device = await createDevice(code);
	const fw = await buildFirmware(code, { chip: "esp32c3", version, elf });
	await pipeline.uploadFirmware(code, fw.zip);
	return { pipeline, device, fw };
}

describe("the analysis consumer", () => {
	it("analyses an uploaded dump from its message: summary in the list, the whole in GET", async () => {
		const { pipeline, device } = await modelWithBundle("an_basic");
		const id = await pipeline.uploadDump(
			device,
			fakeDump({ kind: "abort", pcs: PCS, elf: prefix }),
			"2.0.1",
		);
		expect(pipeline.queue.sent).toEqual([{ coredump_id: id }]);
		const pending = await coredumpJson(pipeline, device.key, id);
		expect(pending.status).toBe("pending");
		expect(pending.analysis).toMatchObject({ status: "pending", backtrace: [], tasks: [] });

		const decoder = fakeDecoder();
		const result = await pipeline.deliver(decoder);
		expect(result.explicitAcks).toEqual([`m-0-${id}`]);
		expect(result.retryMessages).toEqual([]);

		const dump = await coredumpJson(pipeline, device.key, id);
		expect(dump).toMatchObject({
			status: "decoded",
			error_code: null,
			crashed_task: { tcb: "0x3ffafba0", name: "main" },
			panic_reason: "abort() was called at PC 0x42000010 on core 0",
			exception: null,
		});
		expect(dump.signature).toMatch(/^[0-9a-f]{8}$/);
		expect(dump.analysis).toMatchObject({
			status: "decoded",
			matched_by: "elf_sha256",
			firmware_version: "2.0.1",
			elf_sha256_prefix: prefix,
			signature: dump.signature,
		});
		const frames = (dump.analysis.backtrace as { function: string }[]).map((f) => f.function);
		expect(frames).toEqual(["fail_once", "app_main", "main_task"]);

		const list = await (await pipeline.admin(`/api/devices/${device.key}/coredumps`)).json<{
			coredumps: Record<string, unknown>[];
		}>();
		expect(list.coredumps[0]).toMatchObject({
			id,
			status: "decoded",
			signature: dump.signature,
			crashed_task: { name: "main" },
		});
		// The index was built once, from the stored ELF, and kept.
		expect(decoder.log.indexBuilds).toBe(1);
		expect(await bucketKeys("elf-indexes/an_basic/")).toHaveLength(1);
	});

	it("is idempotent: a message delivered twice analyses once; a re-analysis does not count twice", async () => {
		const { pipeline, device } = await modelWithBundle("an_idem");
		const id = await pipeline.uploadDump(
			device,
			fakeDump({ kind: "abort", pcs: PCS, elf: prefix }),
			"2.0.1",
		);
		const decoder = fakeDecoder();
		await pipeline.deliver(decoder, { ids: [id] });
		const again = await pipeline.deliver(decoder, { ids: [id, id] });
		expect(again.explicitAcks).toHaveLength(2);
		expect(decoder.log.analyses).toBe(1);

		const requested = await pipeline.admin(
			`/api/devices/${device.key}/coredumps/${id}/analyze`,
			"POST",
		);
		expect(requested.status).toBe(202);
		expect(await requested.json()).toMatchObject({ id, status: "queued" });
		// Until the new analysis is stored, the dump keeps the one it has.
		expect((await coredumpJson(pipeline, device.key, id)).status).toBe("decoded");
		await pipeline.deliver(decoder);
		expect(decoder.log.analyses).toBe(2);
		const [group] = await crashGroups(pipeline, "an_idem");
		expect(group).toMatchObject({ count: 1, device_count: 1, symbolized: true });
	});

	it("records a dump the decoder refuses as failed, in no group, its device still crashed", async () => {
		const { pipeline, device } = await modelWithBundle("an_bad");
		const id = await pipeline.uploadDump(device, new Uint8Array([0xde, 0xad, 0xbe, 0xef]), "2.0.1");
		const result = await pipeline.deliver(fakeDecoder());
		expect(result.explicitAcks).toHaveLength(1);
		const dump = await coredumpJson(pipeline, device.key, id);
		expect(dump).toMatchObject({
			status: "failed",
			error_code: "DUMP_FORMAT_UNKNOWN",
			signature: null,
		});
		expect(await crashGroups(pipeline, "an_bad")).toEqual([]);
		expect(await countCrashedDevices(env.DB, "an_bad", "2.0.1")).toBe(1);
	});

	it("records ANALYSIS_INTERNAL_ERROR when the decoder itself throws, and acknowledges", async () => {
		const { pipeline, device } = await modelWithBundle("an_throw");
		const id = await pipeline.uploadDump(device, fakeDump({ kind: "abort", pcs: PCS }), "2.0.1");
		const result = await pipeline.deliver(
			fakeDecoder({ failWith: new TypeError("a decoder bug") }),
		);
		expect(result.explicitAcks).toHaveLength(1);
		expect(result.retryMessages).toEqual([]);
		expect(await coredumpJson(pipeline, device.key, id)).toMatchObject({
			status: "failed",
			error_code: "ANALYSIS_INTERNAL_ERROR",
		});
	});

	it("acknowledges messages that are not its own, and those of dumps deleted meanwhile", async () => {
		const { pipeline, device } = await modelWithBundle("an_gone");
		const id = await pipeline.uploadDump(device, fakeDump({ kind: "abort", pcs: PCS }), "2.0.1");
		const del = await pipeline.admin(`/api/devices/${device.key}/coredumps/${id}`, "DELETE");
		expect(del.status).toBe(204);
		const decoder = fakeDecoder();
		const result = await pipeline.deliver(decoder, { ids: [id, "not-a-uuid"] });
		expect(result.explicitAcks).toHaveLength(2);
		expect(decoder.log.analyses).toBe(0);
		expect(await crashGroups(pipeline, "an_gone")).toEqual([]);
	});

	it("keeps a large analysis in R2 beside the dump, and removes it with the dump", async () => {
		const { pipeline, device } = await modelWithBundle("an_large");
		const id = await pipeline.uploadDump(
			device,
			fakeDump({ kind: "abort", pcs: PCS, elf: prefix, tasks: 120 }),
			"2.0.1",
		);
		await pipeline.deliver(fakeDecoder());
		const row = await env.DB.prepare("SELECT analysis, analysis_key FROM coredumps WHERE id = ?1")
			.bind(id)
			.first<{ analysis: string | null; analysis_key: string | null }>();
		expect(row?.analysis).toBeNull();
		expect(row?.analysis_key).toMatch(/\.analysis\.json$/);
		const stored = await env.BLOBS.get(row?.analysis_key ?? "");
		expect((await stored?.text())?.length).toBeGreaterThan(INLINE_ANALYSIS_BYTES);
		const dump = await coredumpJson(pipeline, device.key, id);
		expect(dump.analysis.tasks).toHaveLength(121);

		expect(
			(await pipeline.admin(`/api/devices/${device.key}/coredumps/${id}`, "DELETE")).status,
		).toBe(204);
		expect(await bucketKeys(`coredumps/an_large/${device.key}/`)).toEqual([]);
	});

	it("answers 201 when the queue cannot be reached; the scheduled run sends the message", async () => {
		const code = await createModel("an_sendfail", "esp32c3");
		const device = await createDevice(code);
		const down = new CapturedQueue(true);
		const body = fakeDump({ kind: "abort", pcs: PCS });
		const res = await fetchWithEnv(
			{ COREDUMP_QUEUE: down.asQueue(), COREDUMP_LIMITER: undefined },
			"/api/iot/coredump?chip=esp32c3&firmware_version=2.0.1",
			{
				method: "POST",
				body,
				token: device.token,
				headers: { "content-length": String(body.length) },
			},
		);
		expect(res.status).toBe(201);
		const { id } = await res.json<{ id: string }>();
		const row = await env.DB.prepare(
			"SELECT analysis_requested_at, analysis_enqueued_at FROM coredumps WHERE id = ?1",
		)
			.bind(id)
			.first<{ analysis_requested_at: string | null; analysis_enqueued_at: string | null }>();
		expect(row?.analysis_requested_at).not.toBeNull();
		expect(row?.analysis_enqueued_at).toBeNull();

		const up = new CapturedQueue();
		await runScheduledAt({ ...env, COREDUMP_QUEUE: up.asQueue() }, new Date());
		expect(up.take()).toContain(id);
		// Sent now: the next run leaves it alone until it is overdue.
		await runScheduledAt({ ...env, COREDUMP_QUEUE: up.asQueue() }, new Date());
		expect(up.take()).not.toContain(id);
		await runScheduledAt(
			{ ...env, COREDUMP_QUEUE: up.asQueue() },
			new Date(Date.now() + 31 * 60_000),
		);
		expect(up.take()).toContain(id);
	});
});

describe("the dead-letter queue", () => {
	it("marks a dump never analysed as failed with ANALYSIS_GAVE_UP; its device counts as crashed", async () => {
		const { pipeline, device } = await modelWithBundle("an_dlq");
		const id = await pipeline.uploadDump(device, fakeDump({ kind: "abort", pcs: PCS }), "2.0.1");
		pipeline.queue.take();
		const result = await pipeline.deliver(fakeDecoder(), { ids: [id], queue: DEAD_LETTER_QUEUE });
		expect(result.explicitAcks).toHaveLength(1);
		expect(await coredumpJson(pipeline, device.key, id)).toMatchObject({
			status: "failed",
			error_code: "ANALYSIS_GAVE_UP",
			analysis: { status: "failed", error_code: "ANALYSIS_GAVE_UP" },
		});
		expect(await countCrashedDevices(env.DB, "an_dlq", "2.0.1")).toBe(1);
		// No longer wanted: the scheduled run does not send it again.
		const up = new CapturedQueue();
		await runScheduledAt({ ...env, COREDUMP_QUEUE: up.asQueue() }, new Date(Date.now() + 3600_000));
		expect(up.take()).not.toContain(id);
	});

	it("leaves an earlier analysis in place when a re-analysis gives up", async () => {
		const { pipeline, device } = await modelWithBundle("an_dlq_kept");
		const id = await pipeline.uploadDump(
			device,
			fakeDump({ kind: "abort", pcs: PCS, elf: prefix }),
			"2.0.1",
		);
		await pipeline.deliver(fakeDecoder());
		await pipeline.admin(`/api/devices/${device.key}/coredumps/${id}/analyze`, "POST");
		pipeline.queue.take();
		await pipeline.deliver(fakeDecoder(), { ids: [id], queue: DEAD_LETTER_QUEUE });
		expect(await coredumpJson(pipeline, device.key, id)).toMatchObject({ status: "decoded" });
		expect((await crashGroups(pipeline, "an_dlq_kept"))[0]).toMatchObject({ count: 1 });
	});
});

describe("POST /api/devices/{key}/coredumps/{id}/analyze", () => {
	it("answers 404 for an unknown dump or device, 400 for a malformed id, 403 for a pipeline token", async () => {
		const code = await createModel("an_routes");
		const device = await createDevice(code);
		const admin = await adminToken();
		const ghost = "3b1f8c52-9d0e-4f57-a3c2-5e0b7d9a6f14";
		const post = (path: string, token = admin) => fetchWithEnv({}, path, { method: "POST", token });
		expect((await post(`/api/devices/${device.key}/coredumps/${ghost}/analyze`)).status).toBe(404);
		expect((await post(`/api/devices/zzzzzzzz/coredumps/${ghost}/analyze`)).status).toBe(404);
		expect((await post(`/api/devices/${device.key}/coredumps/nope/analyze`)).status).toBe(400);
		expect(
			(await post(`/api/devices/${device.key}/coredumps/${ghost}/analyze`, device.token)).status,
		).toBe(403);
	});
});
