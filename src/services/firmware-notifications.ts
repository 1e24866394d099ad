import { listActiveDeviceKeys } from "../db/model-device-keys";
import type { Env } from "../env";
import { deviceClientId } from "../lib/identifiers";
import { MqttError, type OutgoingMessage, publishAll } from "../lib/mqtt/client";
import { recordDataPoint } from "../metrics";

/** The topic devices of the original back end listen on, one message per device. */
export const FIRMWARE_TOPIC = "iotsupport/updates/firmware";
/** Bound on one notification: reading the fleet, connecting, publishing, acknowledgements. */
export const NOTIFY_TIMEOUT_MS = 5000;

export interface FirmwareChange {
	modelCode: string;
	firmwareVersion: string;
	sha256: string;
	size: number;
}

/** The retained per-model topic: a device that connects later still learns the current version. */
export const modelFirmwareTopic = (modelCode: string): string => `${FIRMWARE_TOPIC}/${modelCode}`;

/**
 * One QoS-0 message per device, then the retained QoS-1 model message. It goes last on purpose:
 * the broker handles a connection's packets in order, so its PUBACK means every device message
 * before it has been taken too.
 */
export function firmwareMessages(change: FirmwareChange, deviceKeys: string[]): OutgoingMessage[] {
	const messages: OutgoingMessage[] = deviceKeys.map((key) => ({
		topic: FIRMWARE_TOPIC,
		payload: JSON.stringify({
			client_id: deviceClientId(change.modelCode, key),
			firmware_version: change.firmwareVersion,
		}),
	}));
	messages.push({
		topic: modelFirmwareTopic(change.modelCode),
		payload: JSON.stringify({
			firmware_version: change.firmwareVersion,
			sha256: change.sha256,
			size: change.size,
		}),
		retain: true,
		qos: 1,
	});
	return messages;
}

/**
 * Tells a model's active devices about its new current version when MQTT_URL is set. Run it
 * after the D1 batch has committed (from `ctx.waitUntil`). It never throws: a broker that is
 * down, slow or refuses the login is logged and counted, and the upload it follows stands.
 */
export async function notifyFirmwareChange(
	env: Env,
	change: FirmwareChange,
	options: { timeoutMs?: number } = {},
): Promise<void> {
	const url = env.MQTT_URL?.trim();
	if (!url) return;
	const timeoutMs = options.timeoutMs ?? NOTIFY_TIMEOUT_MS;
	const started = Date.now();
	let messageCount = 0;
	let status = "ok";
	try {
		const keys = await listActiveDeviceKeys(env.DB, change.modelCode);
		const messages = firmwareMessages(change, keys);
		messageCount = messages.length;
		await publishAll(
			url,
			{
				clientId: `ota-edge-${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`,
				username: env.MQTT_USERNAME || undefined,
				password: env.MQTT_PASSWORD || undefined,
				timeoutMs: Math.max(timeoutMs - (Date.now() - started), 1),
			},
			messages,
		);
	} catch (err) {
		status = err instanceof MqttError ? err.code : "MQTT_NOTIFY_FAILED";
		console.error(
			JSON.stringify({
				msg: "firmware notification failed",
				code: status,
				model: change.modelCode,
				firmware_version: change.firmwareVersion,
				messages: messageCount,
				duration_ms: Date.now() - started,
				error: err instanceof Error ? err.message : String(err),
			}),
		);
	}
	recordDataPoint(env, {
		operation: "mqtt_notify",
		status,
		model: change.modelCode,
		durationMs: Date.now() - started,
		bytes: messageCount,
	});
}
