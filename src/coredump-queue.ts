import type { Env } from "./env";
import { handleAnalysisMessage, handleDeadLetter } from "./services/analysis-messages";
import type { CrashDecoder } from "./services/crash-decoder";

/**
 * The Worker's queue entry (SPEC §10): COREDUMP_QUEUE and its dead-letter queue, told apart by
 * name (a dead-letter queue's name ends in "-dlq"). Each message is acknowledged or retried on
 * its own, never the batch; a retry waits COREDUMP_ANALYSIS_RETRY_SECONDS × the attempt number.
 */
export async function handleCoredumpQueue(
	batch: MessageBatch<unknown>,
	env: Env,
	decoder: CrashDecoder,
): Promise<void> {
	const deadLetters = batch.queue.endsWith("-dlq");
	const base = retrySeconds(env);
	for (const message of batch.messages) {
		const decision = deadLetters
			? await handleDeadLetter(env, message.body)
			: await handleAnalysisMessage(env, message.body, decoder);
		if (decision === "ack") message.ack();
		else message.retry({ delaySeconds: Math.min(base * message.attempts, 12 * 3600) });
	}
}

function retrySeconds(env: Env): number {
	const value = env.COREDUMP_ANALYSIS_RETRY_SECONDS?.trim();
	const n = Number(value);
	return value && Number.isInteger(n) && n >= 0 ? n : 10;
}
