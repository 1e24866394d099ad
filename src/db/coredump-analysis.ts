/**
 * D1 statements for core dump analyses (SPEC §10): the analysis columns of `coredumps`, the
 * requests for an analysis (set on upload, on re-analysis and when an ELF arrives; cleared when
 * one is stored) and the batch that stores an analysis together with its crash group.
 */
import { COREDUMP_COLUMNS, type CoredumpRow } from "./coredumps";
import {
	claimNotificationStatement,
	type MembershipInput,
	membershipStatements,
} from "./crash-groups";

/** A dump's row with its analysis columns. */
export interface AnalysisRow extends CoredumpRow {
	status: string;
	error_code: string | null;
	signature: string | null;
	analysis: string | null;
	analysis_key: string | null;
	matched_version: string | null;
	analysis_requested_at: string | null;
}

const COLUMNS = `${COREDUMP_COLUMNS}, status, error_code, signature, analysis, analysis_key,
  matched_version, analysis_requested_at`;

export function getAnalysisRow(db: D1Database, id: string) {
	return db.prepare(`SELECT ${COLUMNS} FROM coredumps WHERE id = ?1`).bind(id).first<AnalysisRow>();
}

export function getDeviceAnalysisRow(db: D1Database, deviceKey: string, id: string) {
	return db
		.prepare(`SELECT ${COLUMNS} FROM coredumps WHERE device_key = ?1 AND id = ?2`)
		.bind(deviceKey, id)
		.first<AnalysisRow>();
}

/** What one analysis stores on its dump. */
export interface StoredAnalysis {
	status: string;
	errorCode: string | null;
	signature: string | null;
	/** JSON */
	crashedTask: string | null;
	panicReason: string | null;
	/** JSON */
	exception: string | null;
	elfSha256Prefix: string | null;
	matchedVersion: string | null;
	/** The analysis as JSON when kept in D1; null when it is in R2 under `analysisKey`. */
	analysis: string | null;
	analysisKey: string | null;
	analyzedAt: string;
}

export interface CommitOutcome {
	/** False when the dump was deleted meanwhile: nothing was stored. */
	stored: boolean;
	/** The new group this analysis was the first to reach, whose notification it claimed. */
	newGroup: { signature: string; title: string } | null;
}

/**
 * Stores an analysis, its crash group membership and the group's counts in one transaction.
 * The request is cleared only when it is still the one this analysis answered (`requestedAt`):
 * a re-analysis asked for meanwhile stays wanted.
 */
export async function commitAnalysis(
	db: D1Database,
	id: string,
	requestedAt: string | null,
	stored: StoredAnalysis,
	membership: MembershipInput,
): Promise<CommitOutcome> {
	const statements = [
		db
			.prepare(
				`UPDATE coredumps SET status = ?3, error_code = ?4, signature = ?5, crashed_task = ?6,
           panic_reason = ?7, exception = ?8, elf_sha256_prefix = ?9, matched_version = ?10,
           analysis = ?11, analysis_key = ?12, analyzed_at = ?13,
           analysis_requested_at = CASE WHEN analysis_requested_at IS ?2 THEN NULL
             ELSE analysis_requested_at END
         WHERE id = ?1`,
			)
			.bind(
				id,
				requestedAt,
				stored.status,
				stored.errorCode,
				stored.signature,
				stored.crashedTask,
				stored.panicReason,
				stored.exception,
				stored.elfSha256Prefix,
				stored.matchedVersion,
				stored.analysis,
				stored.analysisKey,
				stored.analyzedAt,
			),
		...membershipStatements(db, membership),
	];
	const group = membership.group;
	if (group?.symbolized) {
		statements.push(
			claimNotificationStatement(db, membership.modelCode, group.signature, stored.analyzedAt),
		);
	}
	const results = await db.batch(statements);
	const claimed = group?.symbolized
		? (results.at(-1)?.results[0] as { signature: string; title: string } | undefined)
		: undefined;
	return { stored: (results[0]?.meta.changes ?? 0) > 0, newGroup: claimed ?? null };
}

/**
 * The dead-letter outcome: a dump never analysed is marked failed with `errorCode`; one that
 * has an analysis keeps it. Either way the request is dropped, so the scheduled run stops
 * sending it. True when the dump had no analysis and was marked.
 */
export async function markGaveUp(
	db: D1Database,
	id: string,
	errorCode: string,
	now: string,
): Promise<boolean> {
	const [marked] = await db.batch([
		db
			.prepare(
				`UPDATE coredumps SET status = 'failed', error_code = ?2, analyzed_at = ?3,
           analysis_requested_at = NULL
         WHERE id = ?1 AND status = 'pending'`,
			)
			.bind(id, errorCode, now),
		db
			.prepare(
				`UPDATE coredumps SET analysis_requested_at = NULL
         WHERE id = ?1 AND status <> 'pending'`,
			)
			.bind(id),
		db
			.prepare(
				`INSERT INTO crash_memberships
           (coredump_id, model_code, signature, device_key, firmware_version, seen_at)
         SELECT id, model_code, NULL, device_key, firmware_version, uploaded_at FROM coredumps
         WHERE id = ?1 AND status = 'failed' AND error_code = ?2
         ON CONFLICT (coredump_id) DO NOTHING`,
			)
			.bind(id, errorCode),
	]);
	return (marked?.meta.changes ?? 0) > 0;
}

/** Asks for one dump to be analysed (again); false when there is no such dump. */
export async function requestAnalysis(
	db: D1Database,
	deviceKey: string,
	id: string,
	now: string,
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE coredumps SET analysis_requested_at = ?3, analysis_enqueued_at = ?3
       WHERE device_key = ?1 AND id = ?2`,
		)
		.bind(deviceKey, id, now)
		.run();
	return result.meta.changes === 1;
}

/**
 * Asks again for the model's `unsymbolized` dumps that a newly stored ELF can decode: those
 * naming a prefix of its SHA-256, and those whose device sent its version (the fallback for
 * binary-format dumps and for prefixes that match no ELF). Pending ones too: an analysis in
 * flight may not have seen the ELF, and its commit leaves a newer request standing.
 * At most `limit` at a time (call again with the same `now` for the next ones); returns ids.
 */
export async function requestUnsymbolized(
	db: D1Database,
	modelCode: string,
	version: string,
	elfSha256: string | null,
	now: string,
	limit: number,
): Promise<string[]> {
	const { results } = await db
		.prepare(
			`UPDATE coredumps SET analysis_requested_at = ?4, analysis_enqueued_at = ?4
       WHERE id IN (SELECT id FROM coredumps
         WHERE model_code = ?1 AND status IN ('unsymbolized', 'pending')
           AND (analysis_requested_at IS NULL OR analysis_requested_at < ?4)
           AND (firmware_version = ?2 OR (elf_sha256_prefix IS NOT NULL AND ?3 IS NOT NULL
             AND substr(?3, 1, length(elf_sha256_prefix)) = elf_sha256_prefix))
         LIMIT ?5)
       RETURNING id`,
		)
		.bind(modelCode, version, elfSha256, now, limit)
		.all<{ id: string }>();
	return results.map((r) => r.id);
}

/**
 * Dumps whose analysis is wanted but whose message was sent before `cutoff` (or never: a send
 * that failed): their send time is moved to `now` and their ids returned, at most `limit`.
 */
export async function takeStaleRequests(
	db: D1Database,
	cutoff: string,
	now: string,
	limit: number,
): Promise<string[]> {
	const { results } = await db
		.prepare(
			`UPDATE coredumps SET analysis_enqueued_at = ?2
       WHERE id IN (SELECT id FROM coredumps
         WHERE analysis_requested_at IS NOT NULL
           AND (analysis_enqueued_at IS NULL OR analysis_enqueued_at < ?1)
         ORDER BY analysis_enqueued_at LIMIT ?3)
       RETURNING id`,
		)
		.bind(cutoff, now, limit)
		.all<{ id: string }>();
	return results.map((r) => r.id);
}

/** A send that failed: the scheduled run picks the dump up at its next pass. */
export async function clearEnqueued(db: D1Database, ids: readonly string[]): Promise<void> {
	if (ids.length === 0) return;
	await db.batch(
		ids.map((id) =>
			db.prepare("UPDATE coredumps SET analysis_enqueued_at = NULL WHERE id = ?1").bind(id),
		),
	);
}
