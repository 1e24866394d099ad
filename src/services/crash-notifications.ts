import type { Env } from "../env";
import { AppError } from "../errors";
import { publishAll } from "../lib/mqtt/client";
import { recordDataPoint } from "../metrics";
import { brokerOptions } from "./firmware-notifications";

/** Where operators' tools hear of new crash groups (SPEC §11). */
export const crashTopic = (modelCode: string): string => `iotsupport/crashes/${modelCode}`;

export interface NewCrashGroup {
	modelCode: string;
	signature: string;
	title: string;
	firmwareVersion: string;
}

/**
 * One QoS-1 message on `iotsupport/crashes/<model_code>` for a group that has just been created,
 * when MQTT_URL is set. Run after the group is committed. It never throws: a broker that is down
 * is logged and counted (`mqtt_notify`), and the analysis stands.
 */
export async function notifyNewCrashGroup(env: Env, group: NewCrashGroup): Promise<void> {
	const url = env.MQTT_URL?.trim();
	if (!url) return;
	const started = Date.now();
	let status = "ok";
	try {
		await publishAll(url, brokerOptions(env), [
			{
				topic: crashTopic(group.modelCode),
				payload: JSON.stringify({
					signature: group.signature,
					title: group.title,
					firmware_version: group.firmwareVersion,
				}),
				qos: 1,
			},
		]);
	} catch (err) {
		status = err instanceof AppError ? err.code : "MQTT_NOTIFY_FAILED";
		console.error(
			JSON.stringify({
				msg: "crash group notification failed",
				code: status,
				model: group.modelCode,
				signature: group.signature,
				error: err instanceof Error ? err.message : String(err),
			}),
		);
	}
	recordDataPoint(env, {
		operation: "mqtt_notify",
		status,
		model: group.modelCode,
		durationMs: Date.now() - started,
		bytes: 1,
	});
}
