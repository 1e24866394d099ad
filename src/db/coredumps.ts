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

const COLUMNS = `id, device_key, model_code, filename, object_key, chip, firmware_version, size,
  sha256, uploaded_at`;

/** Newest first; dumps of the same millisecond in a fixed order, the same retention uses. */
const NEWEST_FIRST = "uploaded_at DESC, filename DESC";

/**
 * Indexes a stored dump and moves the device's `last_coredump_at` forward, in one transaction.
 * The row is only written while the device exists (the statement selects it), so false means
 * the device was deleted after it was authenticated.
 */
export async function insertCoredump(db: D1Database, row: CoredumpRow): Promise<boolean> {
	const [insert] = await db.batch([
		db
			.prepare(
				`INSERT INTO coredumps (${COLUMNS})
         SELECT ?1, key, model_code, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM devices
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

export async function listCoredumps(db: D1Database, deviceKey: string): Promise<CoredumpRow[]> {
	const { results } = await db
		.prepare(`SELECT ${COLUMNS} FROM coredumps WHERE device_key = ?1 ORDER BY ${NEWEST_FIRST}`)
		.bind(deviceKey)
		.all<CoredumpRow>();
	return results;
}

export function getCoredump(db: D1Database, deviceKey: string, id: string) {
	return db
		.prepare(`SELECT ${COLUMNS} FROM coredumps WHERE device_key = ?1 AND id = ?2`)
		.bind(deviceKey, id)
		.first<CoredumpRow>();
}

/** Deletes one dump's row; returns its object key, or null when there was no such dump. */
export async function deleteCoredump(
	db: D1Database,
	deviceKey: string,
	id: string,
): Promise<string | null> {
	const row = await db
		.prepare("DELETE FROM coredumps WHERE device_key = ?1 AND id = ?2 RETURNING object_key")
		.bind(deviceKey, id)
		.first<{ object_key: string }>();
	return row?.object_key ?? null;
}

/** Deletes every dump row of a device; returns their object keys. */
export async function deleteDeviceCoredumps(db: D1Database, deviceKey: string): Promise<string[]> {
	const { results } = await db
		.prepare("DELETE FROM coredumps WHERE device_key = ?1 RETURNING object_key")
		.bind(deviceKey)
		.all<{ object_key: string }>();
	return results.map((r) => r.object_key);
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
       RETURNING object_key`,
		)
		.bind(deviceKey, keepId, keep)
		.all<{ object_key: string }>();
	return results.map((r) => r.object_key);
}
