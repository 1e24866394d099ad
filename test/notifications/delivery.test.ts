import { env } from "cloudflare:workers";
import {
	afterAll,
	afterEach,
	beforeAll,
	beforeEach,
	describe,
	expect,
	inject,
	it,
	vi,
} from "vitest";
import type { Env } from "../../src/env";
import { FIRMWARE_TOPIC, modelFirmwareTopic } from "../../src/services/firmware-notifications";
import { buildAppImage, sha256Hex } from "../fixtures/app-image";
import { buildFirmware, noise } from "../fixtures/firmware";
import { api } from "../helpers/api";
import { createDevice, createModel } from "../helpers/fleet";
import { captureLogs } from "../helpers/log-capture";
import { MqttSubscriber, type ReceivedMessage } from "../helpers/mqtt-subscriber";
import { fetchAndNotify } from "../helpers/notify-queue";
import { RecordingMetrics } from "../helpers/recording-metrics";
import { adminToken, pipelineToken } from "../helpers/tokens";

/*
 * SPEC §9 end to end: uploads and activations through the Worker, with MQTT_URL pointing at the
 * private mosquitto of the test setup, and a subscriber listening the way devices and dashboards
 * do. Every model code carries a per-run suffix: the broker (and its retained messages) is shared
 * by every test file of the run.
 */

const run = crypto.randomUUID().slice(0, 6);
const modelCode = (name: string) => `nd_${run}_${name}`;
/** The model whose changes mark "everything before has arrived" (see `settle`). */
const MARKER = modelCode("marker");

interface DevicePayload {
	client_id: string;
	firmware_version: string;
}
interface ModelPayload {
	firmware_version: string;
	sha256: string;
	size: number;
}

let live: MqttSubscriber;
let metrics: RecordingMetrics;
/** The Worker's env for these tests: the test broker, and a METRICS binding that records. */
const overrides = (extra: Partial<Env> = {}): Partial<Env> => ({
	MQTT_URL: `mqtt://127.0.0.1:${inject("mqttPort")}`,
	METRICS: metrics,
	...extra,
});

beforeAll(async () => {
	// mosquitto delivers a message once per client even when both filters match it.
	live = await MqttSubscriber.open(inject("mqttPort"), [FIRMWARE_TOPIC, `${FIRMWARE_TOPIC}/#`]);
	await createModel(MARKER);
});
afterAll(async () => {
	await live.close();
});
beforeEach(() => {
	metrics = new RecordingMetrics();
});
afterEach(() => {
	vi.restoreAllMocks();
});

async function upload(model: string, body: Uint8Array, extra: Partial<Env> = {}) {
	return fetchAndNotify(overrides(extra), `/api/pipeline/models/${model}/firmware`, {
		method: "POST",
		token: await pipelineToken(),
		body,
		headers: { "content-type": "application/octet-stream" },
	});
}

async function activate(model: string, version: string) {
	return fetchAndNotify(
		overrides(),
		`/api/device-models/${model}/firmware/versions/${version}/activate`,
		{ method: "POST", token: await adminToken() },
	);
}

/** A model with `active` active devices and `inactive` deactivated ones; their client ids. */
async function fleet(name: string, active: number, inactive = 0) {
	const code = await createModel(modelCode(name));
	const clientIds: string[] = [];
	for (let i = 0; i < active + inactive; i++) {
		const { key } = await createDevice(code);
		if (i < active) {
			clientIds.push(`iotdevice-${code}-${key}`);
			continue;
		}
		const res = await api(`/api/devices/${key}`, {
			method: "PATCH",
			token: await adminToken(),
			json: { active: false },
		});
		expect(res.status).toBe(200);
	}
	return { code, clientIds: clientIds.sort() };
}

/** What the subscriber received about one model from `from` (an index into its messages) on. */
function receivedFor(model: string, from = 0) {
	const messages = live.messages.slice(from);
	const devices = messages.filter(
		(m) =>
			m.topic === FIRMWARE_TOPIC &&
			(JSON.parse(m.payload) as DevicePayload).client_id.startsWith(`iotdevice-${model}-`),
	);
	const models = messages.filter((m) => m.topic === modelFirmwareTopic(model));
	return {
		devices,
		/** Device payloads ordered by client id (the broker keeps one connection's order anyway). */
		devicePayloads: devices
			.map((m) => JSON.parse(m.payload) as DevicePayload)
			.sort((a, b) => a.client_id.localeCompare(b.client_id)),
		models,
		modelPayloads: models.map((m) => JSON.parse(m.payload) as ModelPayload),
	};
}

/*
 * Proving that nothing was published. Waiting a while and seeing nothing proves little, so each
 * test ends with a marker instead: a change on another model (MARKER) through the same Worker
 * with the same MQTT_URL, whose retained message the subscriber waits for. When the marker has
 * arrived, any message published by the earlier request has arrived too, because
 * - `fetchAndNotify` returns only after the request's `ctx.waitUntil` work and the fan-out it
 *   queued have run (through the Worker's queue handler), so a notification of that request
 *   would already have ended: its last packet is a QoS-1 message, and
 *   mosquitto queues a PUBLISH for its subscribers before it sends the PUBACK the notifier
 *   waits for;
 * - the marker's connection to the broker is opened only after that, so its messages are queued
 *   for the subscriber later, and one subscriber's queue is delivered in order over its one TCP
 *   connection.
 * Two connections publishing at the same time would carry no such order; here the first has
 * ended before the second begins. The marker also shows that the broker and MQTT_URL worked for
 * the very same configuration, so silence cannot come from a broken setup.
 */
let markerVersion = 0;
async function settle(extra: Partial<Env> = {}): Promise<void> {
	const version = `0.0.${++markerVersion}`;
	const res = await upload(
		MARKER,
		await buildAppImage({ version, seed: 9000 + markerVersion }),
		extra,
	);
	expect(res.status).toBe(200);
	await live.waitFor(
		(m: ReceivedMessage) =>
			m.topic === modelFirmwareTopic(MARKER) &&
			(JSON.parse(m.payload) as ModelPayload).firmware_version === version,
	);
}

/** The mqtt_notify data points written for a model. */
const notifyPoints = (model: string) =>
	metrics.named("mqtt_notify").filter((p) => p.model === model);

describe("devices are told when their model's current firmware changes", () => {
	let model: { code: string; clientIds: string[] };
	let imageA: Uint8Array;
	let imageB: Uint8Array;

	beforeAll(async () => {
		model = await fleet("fleet", 2, 1);
		imageA = await buildAppImage({ version: "1.0.0", seed: 11 });
		imageB = await buildAppImage({ version: "2.0.0", seed: 12 });
	});

	it("after an upload: one message per active device and one retained model message", async () => {
		const from = live.messages.length;
		const res = await upload(model.code, imageA);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ firmware_version: "1.0.0", unchanged: false });
		await settle();

		const got = receivedFor(model.code, from);
		expect(got.devicePayloads).toEqual(
			model.clientIds.map((client_id) => ({ client_id, firmware_version: "1.0.0" })),
		);
		// Exactly the two keys devices of the original back end read, nothing else.
		for (const m of got.devices) expect(Object.keys(JSON.parse(m.payload))).toHaveLength(2);
		expect(got.models).toHaveLength(1);
		expect(got.models[0]?.retain).toBe(false);
		expect(got.modelPayloads).toEqual([
			{ firmware_version: "1.0.0", sha256: await sha256Hex(imageA), size: imageA.length },
		]);
		expect(notifyPoints(model.code)).toMatchObject([{ status: "ok", bytes: 3, httpStatus: 0 }]);

		// A device that connects later learns the current version from the retained message.
		const later = await MqttSubscriber.open(inject("mqttPort"), [modelFirmwareTopic(model.code)]);
		try {
			const kept = await later.waitFor(() => true);
			expect(kept.retain).toBe(true);
			expect(JSON.parse(kept.payload)).toEqual(got.modelPayloads[0]);
		} finally {
			await later.close();
		}
	});

	it("after an activate that rolls back to an older version", async () => {
		expect((await upload(model.code, imageB)).status).toBe(200);
		const from = live.messages.length;

		const res = await activate(model.code, "1.0.0");
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ firmware_version: "1.0.0" });
		await settle();

		const got = receivedFor(model.code, from);
		expect(got.devicePayloads).toEqual(
			model.clientIds.map((client_id) => ({ client_id, firmware_version: "1.0.0" })),
		);
		expect(got.modelPayloads).toEqual([
			{ firmware_version: "1.0.0", sha256: await sha256Hex(imageA), size: imageA.length },
		]);
	});

	it("not after an unchanged re-upload of the current version", async () => {
		const from = live.messages.length;
		const res = await upload(model.code, imageA);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ firmware_version: "1.0.0", unchanged: true });
		await settle();

		expect(receivedFor(model.code, from).devices).toEqual([]);
		expect(receivedFor(model.code, from).models).toEqual([]);
		expect(notifyPoints(model.code)).toEqual([]);
		// The marker's own notification went through with the same configuration.
		expect(notifyPoints(MARKER)).toMatchObject([{ status: "ok" }]);
	});

	it("not after activating the version that is already current", async () => {
		const from = live.messages.length;
		expect((await activate(model.code, "1.0.0")).status).toBe(200);
		await settle();
		expect(receivedFor(model.code, from).models).toEqual([]);
		expect(receivedFor(model.code, from).devices).toEqual([]);
	});

	it("after an unchanged re-upload of a stored version that is not current: it becomes current", async () => {
		const from = live.messages.length;
		const res = await upload(model.code, imageB);
		expect(await res.json()).toMatchObject({ firmware_version: "2.0.0", unchanged: true });
		await settle();

		const got = receivedFor(model.code, from);
		expect(got.devicePayloads.map((p) => p.firmware_version)).toEqual(["2.0.0", "2.0.0"]);
		expect(got.modelPayloads).toEqual([
			{ firmware_version: "2.0.0", sha256: await sha256Hex(imageB), size: imageB.length },
		]);
	});

	it("after a ZIP bundle upload, with the app image's hash and size", async () => {
		const fw = await buildFirmware(model.code, { version: "3.0.0", seed: 13 });
		const from = live.messages.length;
		const res = await upload(model.code, fw.zip);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ format: "zip", firmware_version: "3.0.0" });
		await settle();

		const got = receivedFor(model.code, from);
		expect(got.devicePayloads).toEqual(
			model.clientIds.map((client_id) => ({ client_id, firmware_version: "3.0.0" })),
		);
		expect(got.modelPayloads).toEqual([
			{ firmware_version: "3.0.0", sha256: fw.sha256, size: fw.image.length },
		]);
	});

	it("a model without devices still gets its retained model message", async () => {
		const lonely = await createModel(modelCode("lonely"));
		const image = await buildAppImage({ version: "0.9.0", seed: 14 });
		const from = live.messages.length;
		expect((await upload(lonely, image)).status).toBe(200);
		await settle();
		const got = receivedFor(lonely, from);
		expect(got.devices).toEqual([]);
		expect(got.modelPayloads).toEqual([
			{ firmware_version: "0.9.0", sha256: await sha256Hex(image), size: image.length },
		]);
	});
});

describe("only after D1 has committed", () => {
	it("a refused upload (CHIP_MISMATCH, ELF_MISMATCH) publishes nothing", async () => {
		const model = await fleet("refused", 2);
		await api(`/api/device-models/${model.code}`, {
			method: "PATCH",
			token: await adminToken(),
			json: { chip: "esp32c6" },
		});
		const from = live.messages.length;

		const chip = await upload(model.code, await buildAppImage({ chip: "esp32", seed: 21 }));
		expect(chip.status).toBe(400);
		expect(await chip.json()).toMatchObject({ code: "CHIP_MISMATCH" });
		const elf = await upload(
			model.code,
			(
				await buildFirmware(model.code, {
					chip: "esp32c6",
					seed: 22,
					extraEntries: { [`${model.code}.elf`]: noise(5000, 99) },
				})
			).zip,
		);
		expect(elf.status).toBe(400);
		expect(await elf.json()).toMatchObject({ code: "ELF_MISMATCH" });
		await settle();

		expect(receivedFor(model.code, from).devices).toEqual([]);
		expect(receivedFor(model.code, from).models).toEqual([]);
		expect(notifyPoints(model.code)).toEqual([]);
	});

	it("an upload whose D1 batch fails publishes nothing", async () => {
		const model = await fleet("d1_fails", 2);
		const from = live.messages.length;
		const errors = captureLogs();
		const failingDb = new Proxy(env.DB, {
			get(target, property) {
				if (property === "batch") {
					return () => Promise.reject(new Error("D1_ERROR: the database is unavailable"));
				}
				const value = Reflect.get(target, property);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});

		const res = await upload(model.code, await buildAppImage({ version: "5.0.0", seed: 31 }), {
			DB: failingDb,
		});
		expect(res.status).toBe(500);
		expect(errors.allText()).toContain("the database is unavailable");
		await settle();

		expect(receivedFor(model.code, from).devices).toEqual([]);
		expect(receivedFor(model.code, from).models).toEqual([]);
		expect(notifyPoints(model.code)).toEqual([]);
	});
});
