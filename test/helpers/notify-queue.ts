import {
	createExecutionContext,
	createMessageBatch,
	createScheduledController,
	getQueueResult,
	type QueueResult,
	waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { fetchWithEnv } from "./fleet";

/**
 * A NOTIFY_QUEUE that keeps what is sent to it, so a test can run the fan-out through the
 * Worker's own `queue` handler (`drainNotifyQueue`) with the same env the request had — the
 * real queue's consumer would run with the test Worker's env (no MQTT_URL).
 */
export class RecordingQueue {
	readonly pending: unknown[] = [];
	/** Every body ever sent, in order. */
	readonly sent: unknown[] = [];

	async send(body: unknown): Promise<void> {
		this.pending.push(body);
		this.sent.push(body);
	}

	async sendBatch(messages: Iterable<{ body: unknown }>): Promise<void> {
		for (const m of messages) await this.send(m.body);
	}

	asQueue(): Queue<unknown> {
		return this as unknown as Queue<unknown>;
	}
}

export interface DrainResult {
	/** Queue batches handled (each holds up to 10 messages, as the consumer is configured). */
	batches: QueueResult[];
	/** Messages handled. */
	messages: number;
	/** Messages the handler asked to retry (they are run again, up to `maxAttempts`). */
	retried: number;
}

/**
 * Runs every pending message through `worker.queue`, ten at a time as the consumer takes them,
 * until nothing is left; retried messages go round again, up to `maxAttempts`.
 */
export async function drainNotifyQueue(
	queue: RecordingQueue,
	env: Env,
	options: { queueName?: string; maxAttempts?: number } = {},
): Promise<DrainResult> {
	const result: DrainResult = { batches: [], messages: 0, retried: 0 };
	const attempts = new Map<unknown, number>();
	const maxAttempts = options.maxAttempts ?? 3;
	while (queue.pending.length > 0) {
		const bodies = queue.pending.splice(0, 10);
		const batch = createMessageBatch(
			options.queueName ?? "ota-edge-notify",
			bodies.map((body, i) => ({
				id: `m${result.messages + i}`,
				timestamp: new Date(),
				attempts: (attempts.get(body) ?? 0) + 1,
				body,
			})),
		);
		const ctx = createExecutionContext();
		await worker.queue(batch, { ...env, NOTIFY_QUEUE: queue.asQueue() }, ctx);
		const outcome = await getQueueResult(batch, ctx);
		result.batches.push(outcome);
		result.messages += bodies.length;
		for (const retry of outcome.retryMessages) {
			const body = bodies[Number(retry.msgId.slice(1)) - (result.messages - bodies.length)];
			const tries = (attempts.get(body) ?? 1) + 1;
			attempts.set(body, tries);
			result.retried++;
			if (tries <= maxAttempts) queue.pending.push(body);
		}
	}
	return result;
}

/** Runs the Worker's scheduled handler as the Cron Trigger would at `scheduledTime`. */
export async function runScheduledAt(env: Env, scheduledTime: Date): Promise<void> {
	const ctx = createExecutionContext();
	await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime }), env, ctx);
	await waitOnExecutionContext(ctx);
}

/**
 * A request through the app with some env replaced (see `fetchWithEnv`), then the MQTT fan-out
 * it queued, run to the end through the Worker's queue handler with the same env.
 */
export async function fetchAndNotify(
	overrides: Partial<Env>,
	path: string,
	init: RequestInit & { token?: string } = {},
): Promise<Response> {
	const queue = new RecordingQueue();
	const withQueue = { ...overrides, NOTIFY_QUEUE: queue.asQueue() };
	const res = await fetchWithEnv(withQueue, path, init);
	await drainNotifyQueue(queue, { ...env, ...withQueue });
	return res;
}
