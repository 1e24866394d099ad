import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { FIRMWARE_TOPIC, modelFirmwareTopic } from "../../src/services/firmware-notifications";
import { enqueueNotifyJobs } from "../../src/services/notify-dispatch";
import type { NotifyJob } from "../../src/services/notify-jobs";
import { captureLogs } from "../helpers/log-capture";
import { MqttSubscriber, readStandInStats } from "../helpers/mqtt-subscriber";
import { drainNotifyQueue, RecordingQueue } from "../helpers/notify-queue";
import { RecordingMetrics } from "../helpers/recording-metrics";

/*
 * The MQTT fan-out (SPEC §9, §13) as the queue consumer runs it: a change of a model's current
 * version becomes one plan message, the plan becomes one message per batch of devices (a key
 * range), and each batch is published over one broker connection. Model codes are unique per
 * run: the broker is shared by every test file.
 */

const run = crypto.randomUUID().slice(0, 6);
const SHA = "ab".repeat(32);

async function addModel(
	code: string,
	devices: { key: string; active?: boolean; pinned?: string }[],
) {
	const now = new Date().toISOString();
	await env.DB.batch([
		env.DB.prepare(
			"INSERT INTO device_models (code, name, created_at, updated_at) VALUES (?1, ?1, ?2, ?2)",
		).bind(code, now),
		env.DB.prepare(
			`INSERT INTO firmware_versions (model_code, version, format, sha256, partition_sha256, size,
         chip, project_name, idf_version, secure_version, image_key, uploaded_at)
       SELECT ?1, value, 'bin', ?2, ?2, 1048576, 'esp32', 'p', 'v5', 0, 'k-' || value, ?3
       FROM json_each('["2.4.0-rc.1","0.9.0"]')`,
		).bind(code, SHA, now),
		env.DB.prepare("UPDATE device_models SET current_version = '2.4.0-rc.1' WHERE code = ?1").bind(
			code,
		),
		env.DB.prepare(
			`INSERT INTO devices (key, model_code, active, pinned_version, created_at, updated_at)
       SELECT json_extract(value, '$.key'), ?1, json_extract(value, '$.active'),
         json_extract(value, '$.pinned'), ?2, ?2
       FROM json_each(?3)`,
		).bind(
			code,
			now,
			JSON.stringify(
				devices.map((d) => ({
					key: d.key,
					active: d.active === false ? 0 : 1,
					pinned: d.pinned ?? null,
				})),
			),
		),
	]);
	return code;
}

/** The Worker's env pointed at a broker, with a recording queue and recording metrics. */
function envFor(port: number, extra: Partial<Env> = {}) {
	const queue = new RecordingQueue();
	const metrics = new RecordingMetrics();
	const testEnv: Env = {
		...env,
		MQTT_URL: `mqtt://127.0.0.1:${port}`,
		NOTIFY_QUEUE: queue.asQueue(),
		METRICS: metrics,
		...extra,
	};
	return { testEnv, queue, metrics };
}

const currentChanged = (model: string): NotifyJob => ({
	kind: "fleet",
	model,
	before: { current: null, rollout: null },
	current_changed: true,
});
const devicePayload = (model: string, key: string) =>
	`{"client_id":"iotdevice-${model}-${key}","firmware_version":"2.4.0-rc.1"}`;

const open: MqttSubscriber[] = [];
async function subscribe(...filters: string[]) {
	const subscriber = await MqttSubscriber.open(inject("mqttPort"), filters);
	open.push(subscriber);
	return subscriber;
}
afterEach(async () => {
	vi.restoreAllMocks();
	await Promise.all(open.splice(0).map((s) => s.close()));
});

describe("the fan-out of a new current version", () => {
	it("tells each active, unpinned device, then retains the model's version, over one connection", async () => {
		const model = await addModel(`fa_${run}`, [
			{ key: "aaaa0003" },
			{ key: "aaaa0001" },
			{ key: "aaaa0002", active: false },
			{ key: "aaaa0004", pinned: "0.9.0" },
		]);
		await addModel(`fb_${run}`, [{ key: "bbbb0001" }]);
		const live = await subscribe(FIRMWARE_TOPIC, modelFirmwareTopic(model));
		const { testEnv, queue, metrics } = envFor(inject("mqttProxyPort"));
		const before = await readStandInStats(inject("mqttStatsPort"));

		await enqueueNotifyJobs(testEnv, [currentChanged(model)]);
		expect(queue.pending).toEqual([currentChanged(model)]);
		const drained = await drainNotifyQueue(queue, testEnv);

		await live.waitFor((m) => m.topic === modelFirmwareTopic(model));
		expect(live.messages.map((m) => [m.topic, m.payload])).toEqual([
			[FIRMWARE_TOPIC, devicePayload(model, "aaaa0001")],
			[FIRMWARE_TOPIC, devicePayload(model, "aaaa0003")],
			[
				modelFirmwareTopic(model),
				`{"firmware_version":"2.4.0-rc.1","sha256":"${SHA}","size":1048576}`,
			],
		]);
		// The plan, then one batch: one connection for the whole fleet.
		expect(drained.messages).toBe(2);
		expect(drained.retried).toBe(0);
		expect((await readStandInStats(inject("mqttStatsPort"))).proxied - before.proxied).toBe(1);
		expect(metrics.named("mqtt_notify")).toMatchObject([
			{ status: "ok", model, bytes: 3, httpStatus: 0 },
		]);
		const later = await subscribe(modelFirmwareTopic(model));
		expect(await later.waitFor(() => true)).toMatchObject({ retain: true });
	});

	it("splits a large fleet into batches of NOTIFY_BATCH_DEVICES, one connection each", async () => {
		const keys = Array.from({ length: 1203 }, (_, i) => `f${i.toString(36).padStart(7, "0")}`);
		const model = await addModel(`fl_${run}`, [
			...keys.map((key) => ({ key })),
			{ key: "zzzzzzzz", active: false },
		]);
		const live = await subscribe(FIRMWARE_TOPIC, modelFirmwareTopic(model));
		const { testEnv, queue, metrics } = envFor(inject("mqttProxyPort"), {
			NOTIFY_BATCH_DEVICES: "500",
		});
		const before = await readStandInStats(inject("mqttStatsPort"));

		await enqueueNotifyJobs(testEnv, [currentChanged(model)]);
		await drainNotifyQueue(queue, testEnv);

		await live.waitFor((m) => m.topic === modelFirmwareTopic(model));
		const told = live.messages.filter((m) => m.topic === FIRMWARE_TOPIC).map((m) => m.payload);
		expect(told.sort()).toEqual(keys.map((key) => devicePayload(model, key)).sort());
		// The batches as queued: key ranges, never device lists.
		const batches = queue.sent.filter((b) => (b as NotifyJob).kind === "devices");
		expect(batches).toMatchObject([
			{ after_key: "", through_key: keys[499], retain_current: false },
			{ after_key: keys[499], through_key: keys[999], retain_current: false },
			{ after_key: keys[999], through_key: null, retain_current: true },
		]);
		expect((await readStandInStats(inject("mqttStatsPort"))).proxied - before.proxied).toBe(3);
		expect(metrics.named("mqtt_notify").map((p) => p.bytes)).toEqual([500, 500, 204]);
	}, 30_000);

	it("runs again to the same effect when a batch is delivered twice", async () => {
		const model = await addModel(`fr_${run}`, [{ key: "cccc0001" }, { key: "cccc0002" }]);
		const live = await subscribe(FIRMWARE_TOPIC);
		const { testEnv, queue } = envFor(inject("mqttPort"));
		await enqueueNotifyJobs(testEnv, [currentChanged(model)]);
		await drainNotifyQueue(queue, testEnv);
		const batch = queue.sent.find((b) => (b as NotifyJob).kind === "devices");
		queue.pending.push(batch);
		await drainNotifyQueue(queue, testEnv);
		const told = await live.waitForCount(4, (m) => m.payload.includes(model));
		expect(told.map((m) => m.payload).sort()).toEqual(
			[
				devicePayload(model, "cccc0001"),
				devicePayload(model, "cccc0001"),
				devicePayload(model, "cccc0002"),
				devicePayload(model, "cccc0002"),
			].sort(),
		);
	});

	it("logs in with MQTT_USERNAME and MQTT_PASSWORD", async () => {
		const model = await addModel(`fw_${run}`, [{ key: "dddd0001" }]);
		const live = await subscribe(modelFirmwareTopic(model));
		const { testEnv, queue, metrics } = envFor(inject("mqttPort"), {
			MQTT_USERNAME: inject("mqttUsername"),
			MQTT_PASSWORD: inject("mqttPassword"),
		});
		await enqueueNotifyJobs(testEnv, [currentChanged(model)]);
		await drainNotifyQueue(queue, testEnv);
		await live.waitFor(() => true);
		expect(metrics.named("mqtt_notify")).toMatchObject([{ status: "ok", model }]);
	});

	it("queues nothing when MQTT_URL is not set", async () => {
		const { testEnv, queue } = envFor(inject("mqttPort"), { MQTT_URL: "" });
		await enqueueNotifyJobs(testEnv, [currentChanged("anything")]);
		expect(queue.sent).toEqual([]);
	});
});

describe("a batch whose broker fails", () => {
	let failing = 0;
	it.each([
		["is down", () => inject("mqttClosedPort"), "MQTT_UNREACHABLE", {}],
		[
			"refuses the login",
			() => inject("mqttPort"),
			"MQTT_LOGIN_REFUSED",
			{ MQTT_PASSWORD: "Sup3r-secret!" },
		],
	])(
		"is retried alone, with one log line and one data point per attempt, when it %s",
		async (_, port, code, extra) => {
			const prefix = String(++failing).padStart(4, "0");
			const model = await addModel(`ff_${run}_${failing}`, [
				{ key: `${prefix}0001` },
				{ key: `${prefix}0002` },
			]);
			const logs = captureLogs();
			const { testEnv, queue, metrics } = envFor(port(), {
				MQTT_USERNAME: "notifier",
				MQTT_PASSWORD: "Sup3r-secret!",
				...extra,
			});

			await enqueueNotifyJobs(testEnv, [currentChanged(model)]);
			const drained = await drainNotifyQueue(queue, testEnv, { maxAttempts: 2 });

			// The plan succeeded (acked); the one batch failed twice and was asked to retry each time.
			expect(drained.messages).toBe(3);
			expect(drained.retried).toBe(2);
			const failures = logs.lines.filter((l) => l.text.includes("firmware notification failed"));
			expect(failures).toHaveLength(2);
			expect(JSON.parse(failures[0]?.text ?? "")).toMatchObject({ code, model, messages: 3 });
			expect(logs.allText()).not.toContain("Sup3r-secret!");
			expect(metrics.named("mqtt_notify")).toMatchObject([
				{ status: code, model, bytes: 3 },
				{ status: code, model, bytes: 3 },
			]);
		},
	);

	it("ends in the dead-letter queue's consumer, which logs and counts it", async () => {
		const logs = captureLogs();
		const { testEnv, queue, metrics } = envFor(inject("mqttPort"));
		queue.pending.push({
			kind: "devices",
			model: "lost_model",
			before: { current: null, rollout: null },
			after_key: "",
			through_key: null,
			retain_current: true,
		});
		const drained = await drainNotifyQueue(queue, testEnv, { queueName: "ota-edge-notify-dlq" });
		expect(drained.retried).toBe(0);
		expect(logs.allText()).toContain("firmware notification given up");
		expect(metrics.named("mqtt_notify")).toMatchObject([
			{ status: "MQTT_NOTIFY_DEAD_LETTER", model: "lost_model" },
		]);
	});
});
