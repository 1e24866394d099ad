/**
 * Crash groups (SPEC §11) with analyses made by hand: counts from several devices and versions,
 * 30 analyses of one bug at once, history that survives retention and device deletes, unsymbolized
 * dumps that move to their real group when their ELF arrives, and one MQTT message per new group.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { countCrashedDevices } from "../../src/db/crash-groups";
import { analyzeStoredCoredump } from "../../src/services/coredump-analysis";
import { crashTopic } from "../../src/services/crash-notifications";
import { buildAppImage } from "../fixtures/app-image";
import { buildFirmware } from "../fixtures/firmware";
import { CrashPipeline, coredumpJson, crashGroups } from "../helpers/crash-pipeline";
import { elfPrefix, fakeDecoder, fakeDump, fakeElf } from "../helpers/fake-decoder";
import { createDevice, createModel } from "../helpers/fleet";
import { MqttSubscriber } from "../helpers/mqtt-subscriber";

const run = crypto.randomUUID().slice(0, 6);
const FUNCTIONS = { 1107296272: "fail_once", 1107296768: "app_main", 1107297280: "main_task" };
const BUG = [0x42000014, 0x42000210, 0x42000404];
const OTHER = [0x42000204, 0x42000410];

let subscriber: MqttSubscriber;
beforeAll(async () => {
	subscriber = await MqttSubscriber.open(inject("mqttPort"), ["iotsupport/crashes/#"]);
});
afterAll(async () => {
	await subscriber.close();
});

/** A model with two builds of one app (other ELFs), and `devices` devices. */
async function fleet(name: string, devices: number, overrides = {}) {
	const code = await createModel(`cg_${run}_${name}`, "esp32c3");
	const pipeline = new CrashPipeline({
		MQTT_URL: `mqtt://127.0.0.1:${inject("mqttPort")}`,
		...overrides,
	});
	const builds: Record<string, string> = {};
	for (const [version, salt] of [
		["1.0.0", "a"],
		["1.1.0", "b"],
	] as const) {
		const elf = fakeElf(FUNCTIONS, salt);
		builds[version] = await elfPrefix(elf);
		const fw = await buildFirmware(code, {
			chip: "esp32c3",
			version,
			elf,
			seed: salt.charCodeAt(0),
		});
		await pipeline.uploadFirmware(code, fw.zip);
	}
	const list = [];
	for (let i = 0; i < devices; i++) list.push(await createDevice(code));
	pipeline.queue.take();
	return { code, pipeline, devices: list, builds };
}

describe("crash groups", () => {
	it("count a bug across devices and builds once, with its versions, devices and latest dump", async () => {
		const { code, pipeline, devices, builds } = await fleet("basic", 3);
		const ids: string[] = [];
		for (const [i, device] of devices.entries()) {
			const version = i === 0 ? "1.0.0" : "1.1.0";
			ids.push(
				await pipeline.uploadDump(
					device,
					fakeDump({ kind: "abort", pcs: BUG, elf: builds[version] }),
					version,
				),
			);
		}
		ids.push(
			await pipeline.uploadDump(
				devices[0] as never,
				fakeDump({ kind: "LoadProhibited", pcs: OTHER, elf: builds["1.0.0"] }),
				"1.0.0",
			),
		);
		await pipeline.deliver(fakeDecoder());
		const groups = await crashGroups(pipeline, code);
		expect(groups).toHaveLength(2);
		const bug = groups.find((g) => g.kind === "abort");
		expect(bug).toMatchObject({
			title: "abort() in fail_once ← app_main ← main_task",
			frames: ["fail_once", "app_main", "main_task"],
			symbolized: true,
			count: 3,
			device_count: 3,
			firmware_versions: ["1.0.0", "1.1.0"],
		});
		expect(groups.find((g) => g.kind === "LoadProhibited")).toMatchObject({
			count: 1,
			exception: "LoadProhibited",
		});
		// Filters count only the matching dumps.
		const old = await crashGroups(pipeline, code, "?firmware_version=1.0.0");
		expect(old.find((g) => g.kind === "abort")).toMatchObject({
			count: 1,
			firmware_versions: ["1.0.0"],
		});
		expect(
			await crashGroups(
				pipeline,
				code,
				`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
			),
		).toEqual([]);
		expect((await crashGroups(pipeline, code, "?since=2020-01-01")).length).toBe(2);

		const detail = await pipeline.admin(`/api/device-models/${code}/crashes/${bug?.signature}`);
		expect(detail.status).toBe(200);
		const body = await detail.json<{
			coredumps: { id: string; stored: boolean }[];
			latest_coredump: { id: string };
		}>();
		expect(body.coredumps.map((d) => d.id).sort()).toEqual(ids.slice(0, 3).sort());
		expect(body.coredumps.map((d) => d.id)).toContain(body.latest_coredump.id);
		expect(await countCrashedDevices(env.DB, code, "1.1.0")).toBe(2);

		// Two new groups: two messages, each after its group was committed.
		const messages = await subscriber.waitForCount(2, (m) => m.topic === crashTopic(code));
		expect(messages.map((m) => JSON.parse(m.payload).signature).sort()).toEqual(
			groups.map((g) => g.signature).sort(),
		);
		expect(
			JSON.parse(
				messages.find((m) => JSON.parse(m.payload).signature === bug?.signature)?.payload ?? "",
			),
		).toEqual({
			signature: bug?.signature,
			title: bug?.title,
			firmware_version: "1.0.0",
		});
	});

	it("end with count 30 when 30 dumps of one bug are analysed at once, and announce the group once", async () => {
		const { code, pipeline, devices, builds } = await fleet("burst", 3, {
			COREDUMP_KEEP_PER_DEVICE: "20",
		});
		const ids: string[] = [];
		for (let i = 0; i < 30; i++) {
			ids.push(
				await pipeline.uploadDump(
					devices[i % 3] as never,
					fakeDump({ kind: "abort", pcs: BUG, elf: builds["1.1.0"] }),
					"1.1.0",
				),
			);
		}
		pipeline.queue.take();
		const decoder = fakeDecoder();
		await Promise.all(ids.map((id) => analyzeStoredCoredump(pipeline.env, id, decoder)));
		// And once more, all at once: nothing counts twice.
		await env.DB.prepare(
			`UPDATE coredumps SET analysis_requested_at = '2030-01-01T00:00:00.000Z' WHERE model_code = ?1`,
		)
			.bind(code)
			.run();
		await Promise.all(ids.map((id) => analyzeStoredCoredump(pipeline.env, id, decoder)));
		const [group] = await crashGroups(pipeline, code);
		expect(group).toMatchObject({ count: 30, device_count: 3 });
		await subscriber.waitForCount(1, (m) => m.topic === crashTopic(code));
		await new Promise((r) => setTimeout(r, 500));
		expect(subscriber.messages.filter((m) => m.topic === crashTopic(code))).toHaveLength(1);
	});

	it("keep their history when retention and a device delete remove the dumps", async () => {
		const { code, pipeline, devices, builds } = await fleet("history", 2, {
			COREDUMP_KEEP_PER_DEVICE: "2",
		});
		const [a, b] = devices as [{ key: string; token: string }, { key: string; token: string }];
		const decoder = fakeDecoder();
		for (let i = 0; i < 5; i++) {
			await pipeline.uploadDump(
				a,
				fakeDump({ kind: "abort", pcs: BUG, elf: builds["1.0.0"] }),
				"1.0.0",
			);
			await pipeline.deliver(decoder);
		}
		await pipeline.uploadDump(
			b,
			fakeDump({ kind: "abort", pcs: BUG, elf: builds["1.0.0"] }),
			"1.0.0",
		);
		await pipeline.deliver(decoder);
		const rows = await env.DB.prepare("SELECT count(*) AS n FROM coredumps WHERE model_code = ?1")
			.bind(code)
			.first<{ n: number }>();
		expect(rows?.n).toBe(3);
		expect((await crashGroups(pipeline, code))[0]).toMatchObject({ count: 6, device_count: 2 });

		expect((await pipeline.admin(`/api/devices/${b.key}`, "DELETE")).status).toBe(204);
		const [group] = await crashGroups(pipeline, code);
		expect(group).toMatchObject({ count: 6, device_count: 2 });
		const detail = await (
			await pipeline.admin(`/api/device-models/${code}/crashes/${group?.signature}`)
		).json<{
			coredumps: { device_key: string; stored: boolean }[];
		}>();
		expect(detail.coredumps).toHaveLength(6);
		expect(detail.coredumps.filter((d) => d.stored)).toHaveLength(2);
		expect(await countCrashedDevices(env.DB, code, "1.0.0")).toBe(2);
	});

	it("group unsymbolized dumps by PCs, and move them to their real group when the ELF arrives", async () => {
		const code = await createModel(`cg_${run}_attach`, "esp32c3");
		const pipeline = new CrashPipeline();
		const device = await createDevice(code);
		const elf = fakeElf(FUNCTIONS, "c");
		const fw = await buildFirmware(code, { chip: "esp32c3", version: "3.0.0", elf });
		// The version is first uploaded bare: no ELF to decode against.
		expect(await pipeline.uploadFirmware(code, fw.image)).toMatchObject({
			format: "bin",
			attached: false,
		});
		const current = await buildAppImage({ chip: "esp32c3", version: "3.0.1", seed: 9 });
		await pipeline.uploadFirmware(code, current);
		const id = await pipeline.uploadDump(
			device,
			fakeDump({ kind: "abort", pcs: BUG, elf: await elfPrefix(elf) }),
			"3.0.0",
		);
		const decoder = fakeDecoder();
		await pipeline.deliver(decoder);
		expect((await coredumpJson(pipeline, device.key, id)).status).toBe("unsymbolized");
		const [provisional] = await crashGroups(pipeline, code);
		expect(provisional).toMatchObject({ symbolized: false, count: 1 });

		// The same image as a bundle: attached, the version otherwise unchanged, nobody told.
		const before = await (
			await pipeline.admin(`/api/device-models/${code}/firmware/versions`)
		).json<{ versions: Record<string, unknown>[] }>();
		expect(await pipeline.uploadFirmware(code, fw.zip)).toMatchObject({
			format: "zip",
			attached: true,
			unchanged: false,
			replaced: false,
		});
		const after = await (
			await pipeline.admin(`/api/device-models/${code}/firmware/versions`)
		).json<{ versions: Record<string, unknown>[] }>();
		const v300 = (l: typeof before) => l.versions.find((v) => v.version === "3.0.0");
		expect(v300(after)).toMatchObject({
			...v300(before),
			format: "zip",
			git_commit: expect.any(String),
		});
		expect(after.versions.find((v) => v.current)?.version).toBe("3.0.1");

		// Its unsymbolized dump is analysed again and moves to its real group.
		await new Promise((r) => setTimeout(r, 50));
		expect(pipeline.queue.sent).toEqual([{ coredump_id: id }]);
		await pipeline.deliver(decoder);
		expect(await coredumpJson(pipeline, device.key, id)).toMatchObject({
			status: "decoded",
			analysis: { matched_by: "elf_sha256" },
		});
		const groups = await crashGroups(pipeline, code);
		expect(groups).toHaveLength(1);
		expect(groups[0]).toMatchObject({
			symbolized: true,
			count: 1,
			title: "abort() in fail_once ← app_main ← main_task",
		});
		expect(groups[0]?.signature).not.toBe(provisional?.signature);
	});

	it("answer 404 for an unknown group or model and 400 for malformed filters", async () => {
		const { code, pipeline } = await fleet("routes", 0);
		expect(
			(await pipeline.admin(`/api/device-models/${code}/crashes/0123456789abcdef`)).status,
		).toBe(404);
		expect((await pipeline.admin("/api/device-models/no_such_model/crashes")).status).toBe(404);
		expect(
			(await pipeline.admin(`/api/device-models/${code}/crashes?since=yesterday`)).status,
		).toBe(400);
		expect((await pipeline.admin(`/api/device-models/${code}/crashes/bad%20sig`)).status).toBe(400);
	});
});
