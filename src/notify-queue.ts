/**
 * The Worker's `queue` handler for NOTIFY_QUEUE and its dead-letter queue: a thin adapter that
 * decides ack or retry per message. A failed batch is retried alone; after the consumer's
 * max_retries it moves to the dead-letter queue, whose consumer logs and counts it.
 */
import type { Env } from "./env";
import { recordDataPoint } from "./metrics";
import { enqueueNotifyJobs } from "./services/notify-dispatch";
import { runNotifyJob } from "./services/notify-fanout";
import { parseNotifyJob } from "./services/notify-jobs";

export async function handleNotifyQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const deadLetters = batch.queue.endsWith("-dlq");
	for (const message of batch.messages) {
		const job = parseNotifyJob(message.body);
		if (!job) {
			console.error(JSON.stringify({ msg: "queue message dropped", queue: batch.queue }));
			message.ack();
			continue;
		}
		if (deadLetters) {
			console.error(
				JSON.stringify({ msg: "firmware notification given up", job, attempts: message.attempts }),
			);
			recordDataPoint(env, {
				operation: "mqtt_notify",
				status: "MQTT_NOTIFY_DEAD_LETTER",
				model: job.model,
				durationMs: 0,
			});
			message.ack();
			continue;
		}
		try {
			await runNotifyJob(env, job, (more) => enqueueNotifyJobs(env, more));
			message.ack();
		} catch (err) {
			console.error(
				JSON.stringify({
					msg: "notification job failed, retried",
					kind: job.kind,
					error: String(err),
				}),
			);
			message.retry();
		}
	}
}
