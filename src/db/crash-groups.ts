/**
 * D1 statements for crash groups (SPEC §11). A membership row per analysed dump names its group
 * (or none, when the analysis failed); the group row keeps the counts. Memberships are never
 * removed with a dump's bytes or row, so counts survive retention and device deletes; only a
 * model's delete removes them (by cascade).
 */

/** What one analysed dump contributes: its group (null: counted for its device, no group). */
export interface MembershipInput {
	coredumpId: string;
	modelCode: string;
	deviceKey: string;
	firmwareVersion: string;
	/** When the dump was uploaded. */
	seenAt: string;
	group: GroupInput | null;
}

export interface GroupInput {
	signature: string;
	title: string;
	kind: string;
	/** JSON of the exception name or null. */
	exception: string | null;
	/** JSON array. */
	frames: string;
	symbolized: boolean;
}

/**
 * The statements that move one dump into its group, for the batch that stores its analysis
 * (one transaction: concurrent analyses serialise on D1's writer, so counts stay exact).
 * A dump whose membership is unchanged changes nothing; one that moves marks its old group,
 * which is then recomputed from its memberships (and removed when empty). Every statement only
 * applies while the dump's row exists. The last statement claims the new group's notification
 * and returns a row only for the one analysis that claimed it.
 */
export function membershipStatements(db: D1Database, m: MembershipInput): D1PreparedStatement[] {
	const signature = m.group?.signature ?? null;
	const changed = `coredump_id = ?1 AND (signature IS NOT ?2 OR firmware_version IS NOT ?3)`;
	const statements = [
		db
			.prepare(
				`UPDATE crash_groups SET dirty = 1 WHERE (model_code, signature) IN
           (SELECT model_code, signature FROM crash_memberships WHERE ${changed})`,
			)
			.bind(m.coredumpId, signature, m.firmwareVersion),
		db
			.prepare(`DELETE FROM crash_memberships WHERE ${changed}`)
			.bind(m.coredumpId, signature, m.firmwareVersion),
	];
	if (m.group) statements.push(...joinGroup(db, m, m.group));
	statements.push(
		db
			.prepare(
				`INSERT INTO crash_memberships
           (coredump_id, model_code, signature, device_key, firmware_version, seen_at)
         SELECT id, model_code, ?2, device_key, ?3, uploaded_at FROM coredumps WHERE id = ?1
         ON CONFLICT (coredump_id) DO NOTHING`,
			)
			.bind(m.coredumpId, signature, m.firmwareVersion),
		db
			.prepare(
				`DELETE FROM crash_groups WHERE model_code = ?1 AND dirty = 1 AND NOT EXISTS
           (SELECT 1 FROM crash_memberships m
            WHERE m.model_code = crash_groups.model_code AND m.signature = crash_groups.signature)`,
			)
			.bind(m.modelCode),
		db.prepare(`${RECOMPUTE} WHERE model_code = ?1 AND dirty = 1`).bind(m.modelCode),
	);
	return statements;
}

/** Creates the group if new, then counts the dump in: only when it is not counted there yet. */
function joinGroup(db: D1Database, m: MembershipInput, g: GroupInput): D1PreparedStatement[] {
	const inGroup = `SELECT 1 FROM crash_memberships WHERE model_code = ?1 AND signature = ?2`;
	return [
		db
			.prepare(
				`INSERT INTO crash_groups
           (model_code, signature, title, kind, exception, frames, symbolized, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM coredumps WHERE id = ?9)
         ON CONFLICT (model_code, signature) DO NOTHING`,
			)
			.bind(
				m.modelCode,
				g.signature,
				g.title,
				g.kind,
				g.exception,
				g.frames,
				g.symbolized ? 1 : 0,
				m.seenAt,
				m.coredumpId,
			),
		db
			.prepare(
				`UPDATE crash_groups SET
           count = count + 1,
           device_count = device_count + NOT EXISTS (${inGroup} AND device_key = ?3),
           firmware_versions = CASE WHEN EXISTS (${inGroup} AND firmware_version = ?4)
             THEN firmware_versions ELSE json_insert(firmware_versions, '$[#]', ?4) END,
           first_seen = CASE WHEN first_seen IS NULL OR ?5 < first_seen THEN ?5 ELSE first_seen END,
           last_seen = CASE WHEN last_seen IS NULL OR ?5 >= last_seen THEN ?5 ELSE last_seen END,
           latest_coredump_id = CASE WHEN last_seen IS NULL OR ?5 >= last_seen
             THEN ?6 ELSE latest_coredump_id END,
           latest_device_key = CASE WHEN last_seen IS NULL OR ?5 >= last_seen
             THEN ?3 ELSE latest_device_key END
         WHERE model_code = ?1 AND signature = ?2
           AND EXISTS (SELECT 1 FROM coredumps WHERE id = ?6)
           AND NOT EXISTS (SELECT 1 FROM crash_memberships WHERE coredump_id = ?6)`,
			)
			.bind(m.modelCode, g.signature, m.deviceKey, m.firmwareVersion, m.seenAt, m.coredumpId),
	];
}

/** Recomputes a group's counts from its memberships (after a dump left it). */
const RECOMPUTE = `UPDATE crash_groups SET
  count = (SELECT count(*) FROM crash_memberships m WHERE ${sameGroup("m")}),
  device_count = (SELECT count(DISTINCT device_key) FROM crash_memberships m WHERE ${sameGroup("m")}),
  firmware_versions = (SELECT json_group_array(v) FROM
    (SELECT DISTINCT firmware_version AS v FROM crash_memberships m WHERE ${sameGroup("m")} ORDER BY v)),
  first_seen = (SELECT min(seen_at) FROM crash_memberships m WHERE ${sameGroup("m")}),
  last_seen = (SELECT max(seen_at) FROM crash_memberships m WHERE ${sameGroup("m")}),
  latest_coredump_id = (SELECT coredump_id FROM crash_memberships m WHERE ${sameGroup("m")}
    ORDER BY seen_at DESC, coredump_id DESC LIMIT 1),
  latest_device_key = (SELECT device_key FROM crash_memberships m WHERE ${sameGroup("m")}
    ORDER BY seen_at DESC, coredump_id DESC LIMIT 1),
  dirty = 0`;

function sameGroup(alias: string): string {
	return `${alias}.model_code = crash_groups.model_code AND ${alias}.signature = crash_groups.signature`;
}

/**
 * Claims the group's one "new group" notification: a row comes back only for the first
 * analysis to reach a symbolized group (run in the same batch, after the membership).
 */
export function claimNotificationStatement(
	db: D1Database,
	modelCode: string,
	signature: string,
	now: string,
): D1PreparedStatement {
	return db
		.prepare(
			`UPDATE crash_groups SET notified_at = ?3
       WHERE model_code = ?1 AND signature = ?2 AND symbolized = 1 AND notified_at IS NULL
         AND count > 0
       RETURNING signature, title`,
		)
		.bind(modelCode, signature, now);
}

export interface CrashGroupRow {
	signature: string;
	title: string;
	kind: string;
	exception: string | null;
	frames: string;
	symbolized: number;
	count: number;
	device_count: number;
	firmware_versions: string;
	first_seen: string | null;
	last_seen: string | null;
	latest_coredump_id: string | null;
	latest_device_key: string | null;
}

const GROUP_COLUMNS = `signature, title, kind, exception, frames, symbolized, count, device_count,
  firmware_versions, first_seen, last_seen, latest_coredump_id, latest_device_key`;

export interface GroupFilter {
	firmwareVersion: string | null;
	since: string | null;
	limit: number;
}

/**
 * A model's groups, most recently seen first. Without a filter the stored counts answer; with
 * one, the counts are those of the matching dumps (a version's crashes, the crashes since …).
 */
export async function listCrashGroups(
	db: D1Database,
	modelCode: string,
	filter: GroupFilter,
): Promise<CrashGroupRow[]> {
	if (filter.firmwareVersion === null && filter.since === null) {
		const { results } = await db
			.prepare(
				`SELECT ${GROUP_COLUMNS} FROM crash_groups WHERE model_code = ?1 AND count > 0
         ORDER BY last_seen DESC, signature LIMIT ?2`,
			)
			.bind(modelCode, filter.limit)
			.all<CrashGroupRow>();
		return results;
	}
	const matching = `m.model_code = ?1 AND m.signature IS NOT NULL
    AND (?2 IS NULL OR m.firmware_version = ?2) AND (?3 IS NULL OR m.seen_at >= ?3)`;
	const { results } = await db
		.prepare(
			`WITH matching AS (SELECT * FROM crash_memberships m WHERE ${matching}),
         latest AS (SELECT signature, coredump_id, device_key, row_number() OVER
           (PARTITION BY signature ORDER BY seen_at DESC, coredump_id DESC) AS n FROM matching)
       SELECT g.signature, g.title, g.kind, g.exception, g.frames, g.symbolized,
         count(*) AS count, count(DISTINCT a.device_key) AS device_count,
         (SELECT json_group_array(v) FROM (SELECT DISTINCT firmware_version AS v FROM matching x
           WHERE x.signature = g.signature ORDER BY v)) AS firmware_versions,
         min(a.seen_at) AS first_seen, max(a.seen_at) AS last_seen,
         l.coredump_id AS latest_coredump_id, l.device_key AS latest_device_key
       FROM matching a
       JOIN crash_groups g ON g.model_code = a.model_code AND g.signature = a.signature
       JOIN latest l ON l.signature = a.signature AND l.n = 1
       GROUP BY g.signature ORDER BY last_seen DESC, g.signature LIMIT ?4`,
		)
		.bind(modelCode, filter.firmwareVersion, filter.since, filter.limit)
		.all<CrashGroupRow>();
	return results;
}

export function getCrashGroup(db: D1Database, modelCode: string, signature: string) {
	return db
		.prepare(
			`SELECT ${GROUP_COLUMNS} FROM crash_groups
       WHERE model_code = ?1 AND signature = ?2 AND count > 0`,
		)
		.bind(modelCode, signature)
		.first<CrashGroupRow>();
}

export interface GroupDumpRow {
	coredump_id: string;
	device_key: string;
	firmware_version: string;
	seen_at: string;
	/** Null once retention or a delete removed the dump (its membership stays). */
	status: string | null;
}

/** The group's most recent dumps, including those whose bytes are gone. */
export async function listGroupDumps(
	db: D1Database,
	modelCode: string,
	signature: string,
	limit: number,
): Promise<GroupDumpRow[]> {
	const { results } = await db
		.prepare(
			`SELECT m.coredump_id, m.device_key, m.firmware_version, m.seen_at, c.status
       FROM crash_memberships m LEFT JOIN coredumps c ON c.id = m.coredump_id
       WHERE m.model_code = ?1 AND m.signature = ?2
       ORDER BY m.seen_at DESC, m.coredump_id DESC LIMIT ?3`,
		)
		.bind(modelCode, signature, limit)
		.all<GroupDumpRow>();
	return results;
}

/**
 * How many distinct devices of a model sent a core dump of this firmware version that was
 * analysed (whether it decoded or not). Survives retention and device deletes; the rollout
 * crash guard (SPEC §13) reads it.
 */
export async function countCrashedDevices(
	db: D1Database,
	modelCode: string,
	version: string,
): Promise<number> {
	const row = await db
		.prepare(
			`SELECT count(DISTINCT device_key) AS n FROM crash_memberships
       WHERE model_code = ?1 AND firmware_version = ?2`,
		)
		.bind(modelCode, version)
		.first<{ n: number }>();
	return row?.n ?? 0;
}
