import { markGaveUp } from "../db/coredump-analysis";
import type { Env } from "../env";
import { recordDataPoint } from "../metrics";
import { coredumpIdOf } from "../queues/analysis-messages";
import { analyzeStoredCoredump } from "./coredump-analysis";
import type { CrashDecoder } from "./crash-decoder";

/**
 * What the queue consumer does with one message, as a decision the handler turns into ack or
 * retry. Only storage failures are retried; anything retrying cannot cure (a message that is not
 * ours, a dump that is gone, a dump the decoder refuses) is recorded and acknowledged.
 */
export type MessageDecision = "ack" | "retry";

export async function handleAnalysisMessage(
	env: Env,
	body: unknown,
	decoder: CrashDecoder,
): Promise<MessageDecision> {
	const id = coredumpIdOf(body);
	if (id === null) {
		console.error(
			JSON.stringify({ msg: "analysis message ignored", body: String(body).slice(0, 200) }),
		);
		return "ack";
	}
	const started = Date.now();
	try {
		const outcome = await analyzeStoredCoredump(env, id, decoder);
		record(env, "ok", started);
		if (outcome !== "stored") console.log(JSON.stringify({ msg: "analysis skipped", id, outcome }));
		return "ack";
	} catch (err) {
		record(env, "ANALYSIS_RETRIED", started);
		console.error(JSON.stringify({ msg: "analysis will be retried", id, error: String(err) }));
		return "retry";
	}
}

/**
 * A message that kept failing: its dump is marked `failed` with ANALYSIS_GAVE_UP (a dump with an
 * earlier analysis keeps it), so the failure is visible and the scheduled run stops resending it.
 */
export async function handleDeadLetter(env: Env, body: unknown): Promise<MessageDecision> {
	const id = coredumpIdOf(body);
	if (id === null) return "ack";
	const started = Date.now();
	try {
		const marked = await markGaveUp(env.DB, id, "ANALYSIS_GAVE_UP", new Date().toISOString());
		record(env, "ANALYSIS_GAVE_UP", started);
		console.error(JSON.stringify({ msg: "analysis gave up after its retries", id, marked }));
		return "ack";
	} catch (err) {
		console.error(JSON.stringify({ msg: "dead letter not recorded", id, error: String(err) }));
		return "retry";
	}
}

function record(env: Env, status: string, started: number): void {
	recordDataPoint(env, {
		operation: "coredump_analysis",
		status,
		durationMs: Date.now() - started,
	});
}
