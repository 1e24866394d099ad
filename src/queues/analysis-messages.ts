/**
 * The messages of COREDUMP_QUEUE: the id of a dump to analyse, never its bytes (storage holds
 * them, and the consumer reads what is current when it runs).
 */
export interface AnalysisMessage {
	coredump_id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Queues take at most 100 messages per sendBatch. */
const SEND_BATCH = 100;

/** The dump id a message names, or null for a message that is not one of ours. */
export function coredumpIdOf(body: unknown): string | null {
	const id = (body as Partial<AnalysisMessage> | null)?.coredump_id;
	return typeof id === "string" && UUID.test(id) ? id : null;
}

/** Sends one message per id, in batches of at most 100. */
export async function sendAnalysisMessages(
	queue: Queue<AnalysisMessage>,
	ids: readonly string[],
): Promise<void> {
	for (let i = 0; i < ids.length; i += SEND_BATCH) {
		await queue.sendBatch(
			ids.slice(i, i + SEND_BATCH).map((id) => ({ body: { coredump_id: id } })),
		);
	}
}
