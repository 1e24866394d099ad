import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import esp32Dump from "../../../shared/coredumps/esp32/coredump.b64?raw";
import esp32c3Dump from "../../../shared/coredumps/esp32c3/coredump.b64?raw";
import { recordStatus } from "../../src/db/device-reports";
import type { Env } from "../../src/env";
import { evaluateCrashGuard } from "../../src/services/crash-guard";
import { rolloutTopic } from "../../src/services/firmware-notifications";
import { api } from "../helpers/api";
import { MqttSubscriber } from "../helpers/mqtt-subscriber";
import { drainNotifyQueue, RecordingQueue, runScheduledAt } from "../helpers/notify-queue";
import { modelWithTwoVersions, realDump, rolloutApi } from "./setup";

/*
 * The crash guard (SPEC §13): once min_devices report running the target, a share of them with
 * a core dump of it above max_crash_rate halts the rollout by itself — from the scheduled run,
 * or as soon as a dump of the target has been analysed (`evaluateCrashGuard`). The halt keeps
 * the figures and is announced once on iotsupport/rollouts/<model_code>.
 */

const run = crypto.randomUUID().slice(0, 6);
const DUMPS = [realDump(esp32Dump), realDump(esp32c3Dump)];

let live: MqttSubscriber;
beforeAll(async () => {
	live = await MqttSubscriber.open(inject("mqttPort"), ["iotsupport/rollouts/#"]);
});
afterAll(async () => {
	await live.close();
});

/** The env of the scheduled run: the test broker, with the fan-out recorded for draining. */
function brokerEnv(): { testEnv: Env; queue: RecordingQueue } {
	const queue = new RecordingQueue();
	return {
		testEnv: {
			...env,
			MQTT_URL: `mqtt://127.0.0.1:${inject("mqttPort")}`,
			NOTIFY_QUEUE: queue.asQueue(),
		},
		queue,
	};
}

async function reportRunning(keys: string[], version: string) {
	const now = new Date().toISOString();
	for (const key of keys) {
		await recordStatus(
			env.DB,
			key,
			{ firmware_version: version, state: "running", error: null },
			now,
		);
	}
}

/** A device uploads a real core dump, saying it ran `version`. */
async function crash(device: { token: string }, version: string, i: number) {
	const res = await api(`/api/iot/coredump?chip=esp32&firmware_version=${version}`, {
		token: device.token,
		body: DUMPS[i % DUMPS.length],
	});
	expect(res.status).toBe(201);
}

async function startGuarded(name: string, devices: number, guard: Record<string, unknown>) {
	const m = await modelWithTwoVersions(`cg_${run}_${name}`, devices);
	const res = await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 100, guard } });
	expect(res.status).toBe(201);
	return { ...m, id: (await res.json<{ id: string }>()).id };
}

const stateOf = async (code: string) =>
	(
		await (
			await rolloutApi(code, "")
		).json<{ rollouts: { state: string; halted_reason: unknown }[] }>()
	).rollouts[0];

describe("the crash guard", () => {
	it("halts from the scheduled run once the crash rate passes the limit, with the figures, announced once", async () => {
		const m = await startGuarded("scheduled", 10, { max_crash_rate: 0.2, min_devices: 5 });
		const keys = m.devices.map((d) => d.key);
		await reportRunning(keys.slice(0, 6), "2.0.0");
		// Dumps from the baseline count for nothing; one of six on the target is under 20 %.
		await crash(m.devices[7] as { token: string }, "1.0.0", 0);
		await crash(m.devices[0] as { token: string }, "2.0.0", 0);
		await crash(m.devices[0] as { token: string }, "2.0.0", 1);
		const { testEnv, queue } = brokerEnv();
		await runScheduledAt(testEnv, new Date());
		expect((await stateOf(m.code))?.state).toBe("active");

		await crash(m.devices[1] as { token: string }, "2.0.0", 1);
		await runScheduledAt(testEnv, new Date());
		const halted = await stateOf(m.code);
		expect(halted).toMatchObject({
			state: "halted",
			halted_reason: {
				rule: "crash_rate",
				rate: 2 / 6,
				limit: 0.2,
				min_devices: 5,
				figures: {
					devices_running: 6,
					devices_crashed: 2,
					devices_targeted: 10,
					devices_failed: 0,
				},
			},
		});
		// Halted, a second run changes nothing and announces nothing more.
		await runScheduledAt(testEnv, new Date());
		await drainNotifyQueue(queue, testEnv);
		const announced = await live.waitFor((msg) => msg.topic === rolloutTopic(m.code));
		expect(JSON.parse(announced.payload)).toMatchObject({
			rollout_id: m.id,
			version: "2.0.0",
			baseline_version: "1.0.0",
			state: "halted",
			halted_reason: { rule: "crash_rate", figures: { devices_crashed: 2 } },
		});
		expect(live.messages.filter((msg) => msg.topic === rolloutTopic(m.code))).toHaveLength(1);
		const events = await (await rolloutApi(m.code, `/${m.id}/events`)).json<{
			events: { action: string; actor: string }[];
		}>();
		expect(events.events.at(-1)).toMatchObject({ action: "halt", actor: "crash-guard" });
	});

	it("judges nothing before min_devices report running the target", async () => {
		const m = await startGuarded("few", 6, { max_crash_rate: 0.1, min_devices: 5 });
		await reportRunning(
			m.devices.slice(0, 4).map((d) => d.key),
			"2.0.0",
		);
		for (const [i, d] of m.devices.slice(0, 4).entries()) await crash(d, "2.0.0", i);
		expect(await evaluateCrashGuard(env, m.code, "2.0.0")).toBeNull();
		await runScheduledAt(env, new Date());
		expect((await stateOf(m.code))?.state).toBe("active");
	});

	it("halts as soon as a dump of the target is analysed (the post-analysis hook)", async () => {
		const m = await startGuarded("hook", 5, { max_crash_rate: 0.25, min_devices: 4 });
		await reportRunning(
			m.devices.slice(0, 4).map((d) => d.key),
			"2.0.0",
		);
		await crash(m.devices[2] as { token: string }, "2.0.0", 0);
		await crash(m.devices[3] as { token: string }, "2.0.0", 1);
		// A dump of another version does not concern this rollout.
		expect(await evaluateCrashGuard(env, m.code, "1.0.0")).toBeNull();
		const reason = await evaluateCrashGuard(env, m.code, "2.0.0");
		expect(reason).toMatchObject({ rule: "crash_rate", rate: 0.5 });
		expect((await stateOf(m.code))?.state).toBe("halted");
		// Judged again, a halted rollout is left alone.
		expect(await evaluateCrashGuard(env, m.code, "2.0.0")).toBeNull();
	});

	it("halts on the share of targeted devices that failed or rolled back", async () => {
		const m = await startGuarded("failures", 8, {
			max_crash_rate: 0.5,
			max_failure_rate: 0.2,
			min_devices: 5,
		});
		const now = new Date().toISOString();
		for (const d of m.devices.slice(0, 2)) {
			await recordStatus(
				env.DB,
				d.key,
				{ firmware_version: "2.0.0", state: "failed", error: "flash write" },
				now,
			);
		}
		// Then they poll again on the baseline: the failure still counts for the rollout.
		await reportRunning(
			m.devices.slice(0, 2).map((d) => d.key),
			"1.0.0",
		);
		await runScheduledAt(env, new Date());
		expect((await stateOf(m.code))?.state).toBe("halted");
		expect((await stateOf(m.code))?.halted_reason).toMatchObject({
			rule: "failure_rate",
			figures: { devices_failed: 2, devices_targeted: 8 },
		});
	});

	it("also halts a paused rollout, and never one without a guard", async () => {
		const paused = await startGuarded("paused", 5, { max_crash_rate: 0.1, min_devices: 2 });
		expect((await rolloutApi(paused.code, "/current/pause", { method: "POST" })).status).toBe(200);
		await reportRunning(
			paused.devices.slice(0, 2).map((d) => d.key),
			"2.0.0",
		);
		await crash(paused.devices[0] as { token: string }, "2.0.0", 0);
		await runScheduledAt(env, new Date());
		expect((await stateOf(paused.code))?.state).toBe("halted");

		const m = await modelWithTwoVersions(`cg_${run}_unguarded`, 3);
		await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 100 } });
		await reportRunning(
			m.devices.map((d) => d.key),
			"2.0.0",
		);
		for (const [i, d] of m.devices.entries()) await crash(d, "2.0.0", i);
		await runScheduledAt(env, new Date());
		expect(await evaluateCrashGuard(env, m.code, "2.0.0")).toBeNull();
		expect((await stateOf(m.code))?.state).toBe("active");
	});
});
