import {
	type AnalysisRow,
	commitAnalysis,
	getAnalysisRow,
	type StoredAnalysis,
} from "../db/coredump-analysis";
import type { MembershipInput } from "../db/crash-groups";
import type { Env } from "../env";
import type { CoredumpAnalysis } from "../lib/coredump/analysis";
import { putAnalysisJson, readCoredumpBytes } from "../storage/analysis-objects";
import { coredumpAnalysisKey } from "../storage/keys";
import { deleteKeys } from "../storage/objects";
import { afterAnalysis } from "./after-analysis";
import { emptyAnalysis, type StoredCoredumpAnalysis } from "./analysis-shape";
import type { CrashDecoder, CrashSignature } from "./crash-decoder";
import { elfResolver } from "./elf-resolver";
import { StorageFaults } from "./storage-faults";

/**
 * Analyses one stored dump (SPEC §10) — what the queue consumer does with a message. Idempotent:
 * a dump with no analysis wanted, or gone, is left alone. Storage failures throw (the message is
 * retried); everything else ends in a stored analysis, `failed` when the decoder could not cope.
 */

/** Analyses up to this size live in the dump's D1 row; larger ones in R2 beside the dump. */
export const INLINE_ANALYSIS_BYTES = 16 * 1024;

export type AnalysisOutcome = "stored" | "not_wanted" | "gone";

export async function analyzeStoredCoredump(
	env: Env,
	id: string,
	decoder: CrashDecoder,
	now: Date = new Date(),
): Promise<AnalysisOutcome> {
	const row = await getAnalysisRow(env.DB, id);
	if (!row) return "gone";
	if (row.analysis_requested_at === null) return "not_wanted";
	const bytes = await readCoredumpBytes(env.BLOBS, row.object_key);
	if (!bytes) throw new Error(`core dump object ${row.object_key} is missing`);

	const analysis = await decode(env, row, bytes, decoder, now);
	const group = groupOf(decoder, analysis);
	const stored: StoredCoredumpAnalysis = { ...analysis, signature: group?.signature ?? null };
	const json = JSON.stringify(stored);
	const inline = json.length <= INLINE_ANALYSIS_BYTES;
	const analysisKey = inline
		? null
		: coredumpAnalysisKey(row.model_code, row.device_key, row.filename);
	if (analysisKey) await putAnalysisJson(env.BLOBS, analysisKey, json);

	const matched = stored.matched_by !== null && stored.firmware_version !== null;
	const membership: MembershipInput = {
		coredumpId: row.id,
		modelCode: row.model_code,
		deviceKey: row.device_key,
		firmwareVersion: matched ? (stored.firmware_version as string) : row.firmware_version,
		seenAt: row.uploaded_at,
		group: group && {
			signature: group.signature,
			title: group.title,
			kind: group.kind,
			exception: stored.exception?.name ?? null,
			frames: JSON.stringify(group.frames),
			symbolized: stored.status === "decoded",
		},
	};
	const outcome = await commitAnalysis(
		env.DB,
		row.id,
		row.analysis_requested_at,
		columnsOf(stored, inline ? json : null, analysisKey, now),
		membership,
	);
	// The object no row names any more: the previous large analysis, or this one when the dump
	// was deleted while it was analysed.
	const orphan = outcome.stored ? row.analysis_key : analysisKey;
	if (orphan !== null && orphan !== (outcome.stored ? analysisKey : null)) {
		await deleteKeys(env.BLOBS, [orphan]).catch((err: unknown) =>
			console.error(
				JSON.stringify({ msg: "stale analysis not removed", key: orphan, error: String(err) }),
			),
		);
	}
	if (!outcome.stored) return "gone";
	await afterAnalysis(env, row, stored, outcome.newGroup);
	return "stored";
}

/**
 * Runs the decoder. A storage failure under it (however the decoder handled it) is thrown; any
 * other error of the decoder is a bug met on this dump: logged, and recorded as a failed analysis.
 */
async function decode(
	env: Env,
	row: AnalysisRow,
	bytes: Uint8Array,
	decoder: CrashDecoder,
	now: Date,
): Promise<StoredCoredumpAnalysis> {
	const faults = new StorageFaults();
	const resolve = elfResolver(env, row.model_code, decoder, faults);
	let analysis: StoredCoredumpAnalysis;
	try {
		analysis = await decoder.analyze(bytes, row.firmware_version, resolve, now);
	} catch (err) {
		faults.rethrow();
		console.error(
			JSON.stringify({
				msg: "core dump decoder failed",
				id: row.id,
				error: err instanceof Error ? (err.stack ?? err.message) : String(err),
			}),
		);
		analysis = emptyAnalysis(row, "failed", "ANALYSIS_INTERNAL_ERROR", now.toISOString());
	}
	faults.rethrow();
	if (analysis.status === "pending") {
		console.error(JSON.stringify({ msg: "core dump decoder answered pending", id: row.id }));
		return emptyAnalysis(row, "failed", "ANALYSIS_INTERNAL_ERROR", now.toISOString());
	}
	return analysis;
}

/** The crash group of a decoded or unsymbolized analysis; none when the decoder cannot tell. */
function groupOf(decoder: CrashDecoder, analysis: StoredCoredumpAnalysis): CrashSignature | null {
	if (analysis.status !== "decoded" && analysis.status !== "unsymbolized") return null;
	try {
		return decoder.signature(analysis as CoredumpAnalysis);
	} catch (err) {
		console.error(JSON.stringify({ msg: "crash signature failed", error: String(err) }));
		return null;
	}
}

function columnsOf(
	a: StoredCoredumpAnalysis,
	json: string | null,
	analysisKey: string | null,
	now: Date,
): StoredAnalysis {
	return {
		status: a.status,
		errorCode: a.error_code,
		signature: a.signature,
		crashedTask: a.crashed_task ? JSON.stringify(a.crashed_task) : null,
		panicReason: a.panic_reason,
		exception: a.exception ? JSON.stringify(a.exception) : null,
		elfSha256Prefix: a.elf_sha256_prefix,
		matchedVersion: a.matched_by !== null ? a.firmware_version : null,
		analysis: json,
		analysisKey,
		analyzedAt: now.toISOString(),
	};
}
