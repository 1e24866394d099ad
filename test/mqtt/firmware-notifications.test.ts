import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { listActiveDeviceKeys } from "../../src/db/model-device-keys";
import type { Env } from "../../src/env";
import {
	FIRMWARE_TOPIC,
	modelFirmwareTopic,
	notifyFirmwareChange,
} from "../../src/services/firmware-notifications";
import { MqttSubscriber } from "../helpers/mqtt-subscriber";

const SHA = "ab".repeat(32);
const change = (modelCode: string) => ({
	modelCode,
	firmwareVersion: "2.4.0-rc.1",
	sha256: SHA,
	size: 1_048_576,
});

async function addModel(code: string, devices: { key: string; active?: boolean }[]) {
	const now = new Date().toISOString();
	await env.DB.prepare(
		"INSERT INTO device_models (code, name, created_at, updated_at) VALUES (?1, ?1, ?2, ?2)",
	)
		.bind(code, now)
		.run();
	const rows = devices.map((d) => ({ key: d.key, active: d.active === false ? 0 : 1 }));
	await env.DB.prepare(
		`INSERT INTO devices (key, model_code, active, created_at, updated_at)
     SELECT json_extract(value, '$.key'), ?1, json_extract(value, '$.active'), ?2, ?2
     FROM json_each(?3)`,
	)
		.bind(code, now, JSON.stringify(rows))
		.run();
}

/** The Worker's env pointed at a broker, with Analytics Engine writes captured. */
function envFor(mqttUrl: string | undefined, extra: Partial<Env> = {}) {
	const writeDataPoint = vi.fn();
	const testEnv: Env = {
		...env,
		MQTT_URL: mqttUrl,
		METRICS: { writeDataPoint } as AnalyticsEngineDataset,
		...extra,
	};
	return { testEnv, writeDataPoint };
}
const broker = () => `mqtt://127.0.0.1:${inject("mqttPort")}`;
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

describe("notifyFirmwareChange", () => {
	it("tells each active device of the model, then retains the model's version", async () => {
		await addModel("sensor_a", [
			{ key: "aaaa0003" },
			{ key: "aaaa0001" },
			{ key: "aaaa0002", active: false },
		]);
		await addModel("sensor_b", [{ key: "bbbb0001" }]);
		const live = await subscribe(FIRMWARE_TOPIC, modelFirmwareTopic("sensor_a"));
		const { testEnv, writeDataPoint } = envFor(broker());

		await notifyFirmwareChange(testEnv, change("sensor_a"));

		await live.waitFor((m) => m.topic === "iotsupport/updates/firmware/sensor_a");
		expect(live.messages.map((m) => [m.topic, m.payload])).toEqual([
			[FIRMWARE_TOPIC, devicePayload("sensor_a", "aaaa0001")],
			[FIRMWARE_TOPIC, devicePayload("sensor_a", "aaaa0003")],
			[
				"iotsupport/updates/firmware/sensor_a",
				`{"firmware_version":"2.4.0-rc.1","sha256":"${SHA}","size":1048576}`,
			],
		]);
		const later = await subscribe("iotsupport/updates/firmware/sensor_a");
		const kept = await later.waitFor(() => true);
		expect(kept).toMatchObject({
			retain: true,
			payload: expect.stringContaining('"size":1048576'),
		});
		expect(writeDataPoint).toHaveBeenCalledOnce();
		expect(writeDataPoint.mock.calls[0]?.[0]).toMatchObject({
			blobs: ["mqtt_notify", "ok", "sensor_a"],
			doubles: [expect.any(Number), 3, 0],
		});
	});

	it("reaches every device of a fleet larger than one page of keys", async () => {
		const keys = Array.from({ length: 1203 }, (_, i) => `f${i.toString(36).padStart(7, "0")}`);
		await addModel("fleet", [...keys.map((key) => ({ key })), { key: "zzzzzzzz", active: false }]);
		expect(await listActiveDeviceKeys(env.DB, "fleet", 2)).toEqual(
			(await listActiveDeviceKeys(env.DB, "fleet")).sort(),
		);
		const live = await subscribe(FIRMWARE_TOPIC, modelFirmwareTopic("fleet"));

		await notifyFirmwareChange(envFor(broker()).testEnv, change("fleet"));

		await live.waitFor((m) => m.topic === modelFirmwareTopic("fleet"));
		const told = live.messages.filter((m) => m.topic === FIRMWARE_TOPIC).map((m) => m.payload);
		expect(told).toEqual(keys.map((key) => devicePayload("fleet", key)));
	}, 30_000);

	it("logs in with MQTT_USERNAME and MQTT_PASSWORD", async () => {
		await addModel("with_login", [{ key: "cccc0001" }]);
		const live = await subscribe(modelFirmwareTopic("with_login"));
		const login = { MQTT_USERNAME: inject("mqttUsername"), MQTT_PASSWORD: inject("mqttPassword") };
		const { testEnv, writeDataPoint } = envFor(broker(), login);
		await notifyFirmwareChange(testEnv, change("with_login"));
		await live.waitFor(() => true);
		expect(writeDataPoint.mock.calls[0]?.[0].blobs).toEqual(["mqtt_notify", "ok", "with_login"]);
	});

	it("does nothing when MQTT_URL is not set", async () => {
		const { testEnv, writeDataPoint } = envFor("");
		await notifyFirmwareChange(testEnv, change("sensor_a"));
		expect(writeDataPoint).not.toHaveBeenCalled();
	});
});

describe("notifyFirmwareChange when the broker fails", () => {
	let failingModels = 0;
	it.each([
		["is down", () => `mqtt://127.0.0.1:${inject("mqttClosedPort")}`, "MQTT_UNREACHABLE", {}],
		["never answers", () => `mqtt://127.0.0.1:${inject("mqttSilentPort")}`, "MQTT_TIMEOUT", {}],
		["refuses the login", broker, "MQTT_LOGIN_REFUSED", { MQTT_PASSWORD: "Sup3r-secret!" }],
		["is misconfigured", () => "https://broker.example", "MQTT_URL_INVALID", {}],
	])("resolves, logs one line and counts the error when it %s", async (_, url, code, extra) => {
		// Storage lasts for the whole file: each case gets its own model and devices.
		const model = `failing_${code.toLowerCase()}`;
		const prefix = String(++failingModels).padStart(4, "0");
		await addModel(model, [{ key: `${prefix}0001` }, { key: `${prefix}0002` }]);
		const errors = vi.spyOn(console, "error").mockImplementation(() => {});
		const { testEnv, writeDataPoint } = envFor(url(), {
			MQTT_USERNAME: "notifier",
			MQTT_PASSWORD: "Sup3r-secret!",
			...extra,
		});

		await expect(
			notifyFirmwareChange(testEnv, change(model), { timeoutMs: 300 }),
		).resolves.toBeUndefined();

		expect(errors).toHaveBeenCalledOnce();
		const line = String(errors.mock.calls[0]?.[0]);
		expect(JSON.parse(line)).toMatchObject({ code, model, messages: 3 });
		expect(line).not.toContain("Sup3r-secret!");
		expect(writeDataPoint).toHaveBeenCalledOnce();
		expect(writeDataPoint.mock.calls[0]?.[0]).toMatchObject({
			blobs: ["mqtt_notify", code, model],
			doubles: [expect.any(Number), 3, 0],
		});
	});
});
