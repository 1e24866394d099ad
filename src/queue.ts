import { handleCoredumpQueue } from "./coredump-queue";
import type { Env } from "./env";
import { handleNotifyQueue } from "./notify-queue";
import type { CrashDecoder } from "./services/crash-decoder";

/** Core dump analysis (COREDUMP_QUEUE) and its dead letters share this name prefix. */
const COREDUMP_QUEUE_PREFIX = "ota-edge-coredumps";

/**
 * The Worker's `queue` entry: two queues (and their dead-letter queues) reach this Worker, told
 * apart by name — core dump analysis (SPEC §10) and the MQTT fan-out (SPEC §13).
 */
export function handleQueue(
	batch: MessageBatch<unknown>,
	env: Env,
	decoder: CrashDecoder,
): Promise<void> {
	return batch.queue.startsWith(COREDUMP_QUEUE_PREFIX)
		? handleCoredumpQueue(batch, env, decoder)
		: handleNotifyQueue(batch, env);
}
