import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/env";
import { buildAppImage } from "../fixtures/app-image";
import { api } from "../helpers/api";
import { createDevice, createModel, fetchWithEnv } from "../helpers/fleet";
import { captureLogs, type LogCapture } from "../helpers/log-capture";
import { drainNotifyQueue, RecordingQueue } from "../helpers/notify-queue";
import { RecordingMetrics } from "../helpers/recording-metrics";
import { pipelineToken } from "../helpers/tokens";

/*
 * SPEC §9: "A broker that is down never fails the upload." The upload answers 200 and stays
 * current; it only queues the fan-out. The failed batch is logged once and counted as an
 * mqtt_notify data point with the failure's code, and asked to be retried. Model codes carry a
 * per-run suffix because the broker is shared by the run.
 */

const run = crypto.randomUUID().slice(0, 6);
const PASSWORD = "Br0ker-Pa55word!";

let metrics: RecordingMetrics;
let logs: LogCapture;
beforeEach(() => {
	metrics = new RecordingMetrics();
	logs = captureLogs();
});
afterEach(() => {
	vi.restoreAllMocks();
});

async function modelWithDevices(name: string): Promise<string> {
	const code = await createModel(`nf_${run}_${name}`);
	await createDevice(code);
	await createDevice(code);
	return code;
}

function uploadRequest(model: string, body: Uint8Array, token: string): [string, RequestInit] {
	return [
		`/api/pipeline/models/${model}/firmware`,
		{ method: "POST", body, headers: { authorization: `Bearer ${token}` } },
	];
}

/** The one "firmware notification failed" line, parsed. */
function notifyFailureLine(): Record<string, unknown> {
	const lines = logs.lines.filter(
		(l) => l.level === "error" && l.text.includes("firmware notification failed"),
	);
	expect(lines).toHaveLength(1);
	return JSON.parse(lines[0]?.text ?? "") as Record<string, unknown>;
}

async function currentVersionOf(model: string): Promise<unknown> {
	const res = await api(`/api/pipeline/models/${model}/firmware-version`, {
		token: await pipelineToken(),
	});
	return ((await res.json()) as { firmware_version: unknown }).firmware_version;
}

describe("an upload while the broker fails still answers 200", () => {
	it.each([
		["is down (nothing listens)", () => inject("mqttClosedPort"), "MQTT_UNREACHABLE"],
		// The test broker knows the user, with another password.
		["refuses the login", () => inject("mqttPort"), "MQTT_LOGIN_REFUSED"],
	])("when the broker %s, and the failure is logged and counted", async (_, port, code) => {
		const model = await modelWithDevices(code.toLowerCase());
		const overrides: Partial<Env> = {
			MQTT_URL: `mqtt://127.0.0.1:${port()}`,
			MQTT_USERNAME: inject("mqttUsername"),
			MQTT_PASSWORD: PASSWORD,
			METRICS: metrics,
		};
		const image = await buildAppImage({ version: "1.2.0", seed: 41 });
		const [path, init] = uploadRequest(model, image, await pipelineToken());
		const queue = new RecordingQueue();

		const res = await fetchWithEnv({ ...overrides, NOTIFY_QUEUE: queue.asQueue() }, path, init);

		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ firmware_version: "1.2.0", unchanged: false });
		expect(await currentVersionOf(model)).toBe("1.2.0");
		const drained = await drainNotifyQueue(
			queue,
			{ ...env, ...overrides, NOTIFY_QUEUE: queue.asQueue() },
			{ maxAttempts: 1 },
		);
		expect(drained.retried).toBe(1);
		expect(notifyFailureLine()).toMatchObject({ code, model, messages: 3 });
		expect(metrics.named("mqtt_notify")).toMatchObject([{ status: code, model, bytes: 3 }]);
		expect(metrics.named("pipeline_upload_firmware")).toMatchObject([
			{ status: "ok", model, httpStatus: 200 },
		]);
		expect(logs.allText()).not.toContain(PASSWORD);
	});

	it("when the broker never answers: the answer comes first, the batch gives up at its bound", async () => {
		const model = await modelWithDevices("silent");
		const queue = new RecordingQueue();
		const overrides: Partial<Env> = {
			MQTT_URL: `mqtt://127.0.0.1:${inject("mqttSilentPort")}`,
			METRICS: metrics,
			NOTIFY_QUEUE: queue.asQueue(),
		};
		const image = await buildAppImage({ version: "1.3.0", seed: 42 });
		const [path, init] = uploadRequest(model, image, await pipelineToken());
		const ctx = createExecutionContext();

		const res = await app.fetch(
			new Request(`http://ota.test${path}`, init),
			{ ...env, ...overrides },
			ctx,
		);

		// A broker that never sends a byte lets the notification end only by its timeout, so the
		// answer, complete with its body, did not wait for it.
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ firmware_version: "1.3.0" });
		expect(metrics.named("pipeline_upload_firmware")).toMatchObject([{ status: "ok", model }]);
		expect(metrics.named("mqtt_notify")).toEqual([]);

		await waitOnExecutionContext(ctx);
		expect(metrics.named("mqtt_notify")).toEqual([]);
		await drainNotifyQueue(queue, { ...env, ...overrides }, { maxAttempts: 1 });
		expect(notifyFailureLine()).toMatchObject({ code: "MQTT_TIMEOUT", model });
		expect(metrics.named("mqtt_notify")).toMatchObject([{ status: "MQTT_TIMEOUT", model }]);
		expect(await currentVersionOf(model)).toBe("1.3.0");
	}, 20_000);
});
