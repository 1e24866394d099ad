import {
	clearEnqueued,
	requestAnalysis,
	requestUnsymbolized,
	takeStaleRequests,
} from "../db/coredump-analysis";
import { nowIso } from "../db/time";
import type { Env } from "../env";
import { NotFound } from "../errors";
import { sendAnalysisMessages } from "../queues/analysis-messages";
import { getDeviceOrThrow } from "./devices";

/**
 * Asking for analyses (SPEC §10). D1 is the record of what is wanted (a dump's
 * `analysis_requested_at`); a queue message is how the consumer hears of it. A send that fails
 * is not an error for anyone: the scheduled run sends again whatever is still wanted.
 */

/** A wanted analysis whose message went out this long ago is sent again by the scheduled run. */
export const RESEND_AFTER_MS = 30 * 60_000;
/** Dumps asked for per D1 statement when an ELF arrives, and per scheduled run. */
const REQUEST_BATCH = 500;
/** An ELF arriving asks for at most this many batches; the rest waits for the next one. */
const MAX_REQUEST_BATCHES = 20;

/** Sends one message per dump; never throws (a failed send is left to the scheduled run). */
export async function enqueueAnalyses(env: Env, ids: readonly string[]): Promise<void> {
	if (ids.length === 0) return;
	try {
		if (!env.COREDUMP_QUEUE) throw new Error("no COREDUMP_QUEUE binding");
		await sendAnalysisMessages(env.COREDUMP_QUEUE, ids);
	} catch (err) {
		console.error(
			JSON.stringify({ msg: "analysis not enqueued", dumps: ids.length, error: String(err) }),
		);
		// Marked as never sent, so the next scheduled run sends it without waiting.
		await clearEnqueued(env.DB, ids).catch(() => {});
	}
}

export interface AnalysisRequested {
	id: string;
	status: "queued";
	requested_at: string;
}

/** An admin's re-analysis of one dump: recorded in D1, then enqueued. */
export async function requestCoredumpAnalysis(
	env: Env,
	deviceKey: string,
	id: string,
): Promise<AnalysisRequested> {
	await getDeviceOrThrow(env.DB, deviceKey);
	const now = nowIso();
	if (!(await requestAnalysis(env.DB, deviceKey, id, now))) {
		throw new NotFound("COREDUMP_NOT_FOUND", `Device '${deviceKey}' has no core dump '${id}'.`, {
			key: deviceKey,
			id,
		});
	}
	await enqueueAnalyses(env, [id]);
	return { id, status: "queued", requested_at: now };
}

/**
 * A version's ELF was stored (a new bundle, or one attached to a bare image): the model's
 * `unsymbolized` dumps it can decode are analysed again. Returns how many were asked for.
 */
export async function reanalyzeForElf(
	env: Env,
	version: { model_code: string; version: string; elf_sha256: string | null },
): Promise<number> {
	let total = 0;
	const now = nowIso();
	for (let batch = 0; batch < MAX_REQUEST_BATCHES; batch++) {
		const ids = await requestUnsymbolized(
			env.DB,
			version.model_code,
			version.version,
			version.elf_sha256,
			now,
			REQUEST_BATCH,
		);
		await enqueueAnalyses(env, ids);
		total += ids.length;
		if (ids.length < REQUEST_BATCH) break;
	}
	return total;
}

/**
 * The scheduled run's part: sends again the analyses still wanted whose message is overdue
 * (or was never sent). Returns how many were sent.
 */
export async function resendOverdueAnalyses(env: Env, now: Date = new Date()): Promise<number> {
	const cutoff = new Date(now.getTime() - RESEND_AFTER_MS).toISOString();
	const ids = await takeStaleRequests(env.DB, cutoff, now.toISOString(), REQUEST_BATCH);
	await enqueueAnalyses(env, ids);
	return ids.length;
}
