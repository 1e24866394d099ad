/**
 * Runs one fan-out job (see notify-jobs.ts): reads what it needs from D1 as it is now and
 * publishes over one broker connection. Devices are told only when their target changed
 * between the job's `before` snapshot and now, and always with the target they have now, so a
 * late or repeated job can send a notification again but never a stale one.
 */
import { getDeviceContext } from "../db/device-context";
import { getCurrentVersion } from "../db/firmware-versions";
import { batchBounds, devicesInRange, getTargetSnapshot } from "../db/notify-targets";
import { getRolloutById } from "../db/rollouts";
import type { Env } from "../env";
import type { OutgoingMessage } from "../lib/mqtt/client";
import { chooseTarget, targetVersionOf } from "./device-target";
import {
	deviceMessage,
	modelMessage,
	publishBatch,
	rolloutMessage,
} from "./firmware-notifications";
import type { NotifyJob } from "./notify-jobs";

/** Devices per batch: one D1 read and one broker connection each (NOTIFY_BATCH_DEVICES). */
export const DEFAULT_NOTIFY_BATCH_DEVICES = 1000;
const MAX_NOTIFY_BATCH_DEVICES = 5000;

export function notifyBatchSize(env: Env): number {
	const n = Number(env.NOTIFY_BATCH_DEVICES);
	return Number.isSafeInteger(n) && n > 0
		? Math.min(n, MAX_NOTIFY_BATCH_DEVICES)
		: DEFAULT_NOTIFY_BATCH_DEVICES;
}

export type Enqueue = (jobs: NotifyJob[]) => Promise<void>;

export async function runNotifyJob(env: Env, job: NotifyJob, enqueue: Enqueue): Promise<void> {
	switch (job.kind) {
		case "fleet":
			return planFleet(env, job, enqueue);
		case "devices":
			return notifyRange(env, job, enqueue);
		case "device":
			return notifyDevice(env, job);
		case "rollout":
			return announceRollout(env, job.model, job.rollout_id);
	}
}

/**
 * Splits the fleet into key ranges of one batch each. The last range also carries the retained
 * model message when the current version changed, so a fleet of one batch is told over one
 * connection, devices first and the model message last.
 */
async function planFleet(env: Env, job: NotifyJob & { kind: "fleet" }, enqueue: Enqueue) {
	const bounds = await batchBounds(env.DB, job.model, notifyBatchSize(env));
	const jobs: NotifyJob[] = [];
	let after = "";
	for (const through of [...bounds, null]) {
		jobs.push({
			kind: "devices",
			model: job.model,
			before: job.before,
			after_key: after,
			through_key: through,
			retain_current: through === null && job.current_changed,
		});
		if (through !== null) after = through;
	}
	await enqueue(jobs);
}

async function notifyRange(env: Env, job: NotifyJob & { kind: "devices" }, enqueue: Enqueue) {
	const size = notifyBatchSize(env);
	const [now, devices, current] = await Promise.all([
		getTargetSnapshot(env.DB, job.model),
		devicesInRange(env.DB, job.model, job.after_key, job.through_key, size),
		job.retain_current ? getCurrentVersion(env.DB, job.model) : null,
	]);
	if (!now) return;
	const messages: OutgoingMessage[] = [];
	for (const device of devices) {
		const target = targetVersionOf(now, device);
		if (target !== null && target !== targetVersionOf(job.before, device)) {
			messages.push(deviceMessage(job.model, device.key, target));
		}
	}
	// Devices registered since the fleet was split can make a range longer than one batch:
	// the rest (and the model message) goes on in a batch of its own.
	const last = devices.at(-1);
	const more = devices.length === size && last !== undefined && last.key !== job.through_key;
	if (current && !more) messages.push(modelMessage(current));
	await publishBatch(env, job.model, messages);
	if (more && last) await enqueue([{ ...job, after_key: last.key }]);
}

async function notifyDevice(env: Env, job: NotifyJob & { kind: "device" }) {
	const context = await getDeviceContext(env.DB, job.key);
	if (context?.device.active !== 1 || context.device.model_code !== job.model) return;
	const target = chooseTarget(context).version;
	if (target && target.version !== job.before) {
		await publishBatch(env, job.model, [deviceMessage(job.model, job.key, target.version)]);
	}
}

async function announceRollout(env: Env, model: string, id: string) {
	const rollout = await getRolloutById(env.DB, id);
	if (rollout && rollout.model_code === model) {
		await publishBatch(env, model, [rolloutMessage(rollout)]);
	}
}
