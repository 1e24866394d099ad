/**
 * Hands fan-out jobs to NOTIFY_QUEUE (a batch of at most 100 messages per send, as Queues
 * allows), or — where no queue is bound — runs them right away, one after the other. Nothing is
 * queued while MQTT_URL is unset: there would be no one to tell.
 */
import type { Env } from "../env";
import { runNotifyJob } from "./notify-fanout";
import type { NotifyJob } from "./notify-jobs";

const SEND_BATCH_MAX = 100;

export async function enqueueNotifyJobs(env: Env, jobs: NotifyJob[]): Promise<void> {
	if (!env.MQTT_URL?.trim() || jobs.length === 0) return;
	const queue = env.NOTIFY_QUEUE;
	if (queue) {
		for (let i = 0; i < jobs.length; i += SEND_BATCH_MAX) {
			await queue.sendBatch(jobs.slice(i, i + SEND_BATCH_MAX).map((body) => ({ body })));
		}
		return;
	}
	for (const job of jobs) {
		try {
			await runNotifyJob(env, job, (more) => enqueueNotifyJobs(env, more));
		} catch {
			// Logged and counted by the publisher; without a queue there is no retry.
		}
	}
}

/** Starts a fan-out after a committed change, without delaying the answer. */
export function notifyAfterCommit(
	env: Env,
	jobs: NotifyJob[],
	defer: (work: Promise<unknown>) => void,
): void {
	if (!env.MQTT_URL?.trim() || jobs.length === 0) return;
	defer(enqueueNotifyJobs(env, jobs));
}
