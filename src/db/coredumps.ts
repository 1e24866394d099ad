/** D1 statements for the core dump index: one row per stored core dump object. */

export interface CoredumpRow {
	id: string;
	device_key: string;
	model_code: string;
	filename: string;
	object_key: string;
	chip: string;
	firmware_version: string;
	size: number;
	sha256: string;
	uploaded_at: string;
}

/** The columns of CoredumpRow, for every statement that reads or writes a whole dump row. */
export const COREDUMP_COLUMNS = `id, device_key, model_code, filename, object_key, chip,
  firmware_version, size, sha256, uploaded_at`;

/** The analysis in brief (SPEC §10), as lists show it; JSON columns are JSON text. */
export interface CoredumpSummary {
	status: string;
	error_code: string | null;
	signature: string | null;
	crashed_task: string | null;
	panic_reason: string | null;
	exception: string | null;
}

export type CoredumpListRow = CoredumpRow & CoredumpSummary;

const SUMMARY = "status, error_code, signature, crashed_task, panic_reason, exception";

/** Newest first; dumps of the same millisecond in a fixed order, the same retention uses. */
const NEWEST_FIRST = "uploaded_at DESC, filename DESC";

/**
 * Indexes a stored dump, wanting its analysis (its queue message is sent next), and moves the
 * device's `last_coredump_at` forward, in one transaction.
 * The row is only written while the device exists (the statement selects it), so false means
 * the device was deleted after it was authenticated.
 */
export async function insertCoredump(db: D1Database, row: CoredumpRow): Promise<boolean> {
	const [insert] = await db.batch([
		db
			.prepare(
				`INSERT INTO coredumps (${COREDUMP_COLUMNS}, analysis_requested_at, analysis_enqueued_at)
         SELECT ?1, key, model_code, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9 FROM devices
         WHERE key = ?2 AND model_code = ?10`,
			)
			.bind(
				row.id,
				row.device_key,
				row.filename,
				row.object_key,
				row.chip,
				row.firmware_version,
				row.size,
				row.sha256,
				row.uploaded_at,
				row.model_code,
			),
		db
			.prepare(
				`UPDATE devices SET last_coredump_at = ?2
         WHERE key = ?1 AND (last_coredump_at IS NULL OR last_coredump_at < ?2)`,
			)
			.bind(row.device_key, row.uploaded_at),
	]);
	return insert?.meta.changes === 1;
}

export async function listCoredumps(db: D1Database, deviceKey: string): Promise<CoredumpListRow[]> {
	const { results } = await db
		.prepare(
			`SELECT ${COREDUMP_COLUMNS}, ${SUMMARY} FROM coredumps WHERE device_key = ?1
       ORDER BY ${NEWEST_FIRST}`,
		)
		.bind(deviceKey)
		.all<CoredumpListRow>();
	return results;
}

export function getCoredump(db: D1Database, deviceKey: string, id: string) {
	return db
		.prepare(
			`SELECT ${COREDUMP_COLUMNS}, ${SUMMARY} FROM coredumps WHERE device_key = ?1 AND id = ?2`,
		)
		.bind(deviceKey, id)
		.first<CoredumpListRow>();
}

interface DeletedKeys {
	object_key: string;
	analysis_key: string | null;
}

/** The objects of deleted rows: each dump, and its analysis when that was kept in R2. */
const keysOf = (rows: DeletedKeys[]): string[] =>
	rows.flatMap((r) => (r.analysis_key ? [r.object_key, r.analysis_key] : [r.object_key]));

/**
 * Deletes one dump's row; returns its object keys, or null when there was no such dump. Its
 * crash group membership stays: a group's history outlives the dump (SPEC §11).
 */
export async function deleteCoredump(
	db: D1Database,
	deviceKey: string,
	id: string,
): Promise<string[] | null> {
	const row = await db
		.prepare(
			"DELETE FROM coredumps WHERE device_key = ?1 AND id = ?2 RETURNING object_key, analysis_key",
		)
		.bind(deviceKey, id)
		.first<DeletedKeys>();
	return row ? keysOf([row]) : null;
}

/** Deletes every dump row of a device; returns their object keys. */
export async function deleteDeviceCoredumps(db: D1Database, deviceKey: string): Promise<string[]> {
	const { results } = await db
		.prepare("DELETE FROM coredumps WHERE device_key = ?1 RETURNING object_key, analysis_key")
		.bind(deviceKey)
		.all<DeletedKeys>();
	return keysOf(results);
}

/**
 * Retention: deletes the device's dumps beyond the newest `keep`, in one statement, and returns
 * their object keys. The dump `keepId` always counts as one of the kept, whatever its time, so
 * the dump just uploaded is never the one removed and the device ends with at most `keep`.
 */
export async function deleteCoredumpsBeyond(
	db: D1Database,
	deviceKey: string,
	keepId: string,
	keep: number,
): Promise<string[]> {
	const { results } = await db
		.prepare(
			`DELETE FROM coredumps WHERE device_key = ?1 AND id NOT IN (
         SELECT id FROM coredumps WHERE device_key = ?1
         ORDER BY id = ?2 DESC, ${NEWEST_FIRST} LIMIT ?3)
       RETURNING object_key, analysis_key`,
		)
		.bind(deviceKey, keepId, keep)
		.all<DeletedKeys>();
	return keysOf(results);
}
