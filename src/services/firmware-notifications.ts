import type { VersionRow } from "../db/firmware-versions";
import type { RolloutRow } from "../db/rollouts";
import type { Env } from "../env";
import { deviceClientId } from "../lib/identifiers";
import {
	MqttError,
	type OutgoingMessage,
	type PublishOptions,
	publishAll,
} from "../lib/mqtt/client";
import { recordDataPoint } from "../metrics";

/** The topic devices of the original back end listen on, one message per device. */
export const FIRMWARE_TOPIC = "iotsupport/updates/firmware";
/** Bound on one connection: connecting, publishing one batch, the acknowledgement. */
export const NOTIFY_TIMEOUT_MS = 5000;

/** How the back end connects to MQTT_URL's broker: a fresh client id per connection. */
export function brokerOptions(env: Env, timeoutMs = NOTIFY_TIMEOUT_MS): PublishOptions {
	return {
		clientId: `ota-edge-${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`,
		username: env.MQTT_USERNAME || undefined,
		password: env.MQTT_PASSWORD || undefined,
		timeoutMs,
	};
}

/** The retained per-model topic: a device that connects later still learns the current version. */
export const modelFirmwareTopic = (modelCode: string): string => `${FIRMWARE_TOPIC}/${modelCode}`;
/** Where a rollout that halted itself is announced. */
export const rolloutTopic = (modelCode: string): string => `iotsupport/rollouts/${modelCode}`;

/** A device's message, as the original back end sent it: `{"client_id","firmware_version"}`. */
export function deviceMessage(model: string, key: string, version: string): OutgoingMessage {
	return {
		topic: FIRMWARE_TOPIC,
		payload: JSON.stringify({
			client_id: deviceClientId(model, key),
			firmware_version: version,
		}),
	};
}

/** The retained model message (QoS 1): the current version, its hash and size. */
export function modelMessage(row: VersionRow): OutgoingMessage {
	return {
		topic: modelFirmwareTopic(row.model_code),
		payload: JSON.stringify({
			firmware_version: row.version,
			sha256: row.sha256,
			size: row.size,
		}),
		retain: true,
		qos: 1,
	};
}

/** A rollout's state and, once halted, why (QoS 1). */
export function rolloutMessage(rollout: RolloutRow): OutgoingMessage {
	return {
		topic: rolloutTopic(rollout.model_code),
		payload: JSON.stringify({
			rollout_id: rollout.id,
			version: rollout.version,
			baseline_version: rollout.baseline_version,
			state: rollout.state,
			percent: rollout.percent,
			halted_reason: rollout.halted_reason ? JSON.parse(rollout.halted_reason) : null,
		}),
		qos: 1,
	};
}

/**
 * Publishes a batch over one connection when MQTT_URL is set. The last message goes at QoS 1:
 * the broker handles one connection's packets in order, so its PUBACK means every message
 * before it was taken too. Counted as one `mqtt_notify` data point (bytes = messages); a
 * failure is logged and thrown, so the queue retries this batch alone.
 */
export async function publishBatch(
	env: Env,
	model: string,
	messages: OutgoingMessage[],
	options: { timeoutMs?: number } = {},
): Promise<void> {
	const url = env.MQTT_URL?.trim();
	if (!url || messages.length === 0) return;
	const last = messages.at(-1);
	if (last && last.qos !== 1) messages[messages.length - 1] = { ...last, qos: 1 };
	const started = Date.now();
	let status = "ok";
	try {
		await publishAll(url, brokerOptions(env, options.timeoutMs), messages);
	} catch (err) {
		status = err instanceof MqttError ? err.code : "MQTT_NOTIFY_FAILED";
		console.error(
			JSON.stringify({
				msg: "firmware notification failed",
				code: status,
				model,
				messages: messages.length,
				duration_ms: Date.now() - started,
				error: err instanceof Error ? err.message : String(err),
			}),
		);
		throw err;
	} finally {
		recordDataPoint(env, {
			operation: "mqtt_notify",
			status,
			model,
			durationMs: Date.now() - started,
			bytes: messages.length,
		});
	}
}
