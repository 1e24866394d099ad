/**
 * Which object keys D1 rows name, for the sweep of unreferenced objects: one statement per page
 * of keys, whatever its size (the keys travel as one JSON parameter).
 */

async function named(db: D1Database, sql: string, keys: readonly string[]): Promise<Set<string>> {
	if (keys.length === 0) return new Set();
	const { results } = await db.prepare(sql).bind(JSON.stringify(keys)).all<{ key: string }>();
	return new Set(results.map((r) => r.key));
}

/** Keys that a firmware version names as its app image, bundle or ELF. */
export function firmwareKeysReferenced(db: D1Database, keys: readonly string[]) {
	return named(
		db,
		`SELECT j.value AS key FROM json_each(?1) j
     WHERE EXISTS (SELECT 1 FROM firmware_versions v WHERE v.image_key = j.value)
        OR EXISTS (SELECT 1 FROM firmware_versions v WHERE v.bundle_key = j.value)
        OR EXISTS (SELECT 1 FROM firmware_versions v WHERE v.elf_key = j.value)`,
		keys,
	);
}

/** Keys that a core dump row names: its bytes, or its analysis when kept in R2. */
export function coredumpKeysReferenced(db: D1Database, keys: readonly string[]) {
	return named(
		db,
		`SELECT j.value AS key FROM json_each(?1) j
     WHERE EXISTS (SELECT 1 FROM coredumps c WHERE c.object_key = j.value)
        OR EXISTS (SELECT 1 FROM coredumps c WHERE c.analysis_key = j.value)`,
		keys,
	);
}

/** Where the sweep of one prefix resumes; null to start from the beginning. */
export async function getSweepCursor(db: D1Database, prefix: string): Promise<string | null> {
	const row = await db
		.prepare("SELECT cursor FROM sweep_cursors WHERE prefix = ?1")
		.bind(prefix)
		.first<{ cursor: string | null }>();
	return row?.cursor ?? null;
}

export async function setSweepCursor(
	db: D1Database,
	prefix: string,
	cursor: string | null,
	now: string,
): Promise<void> {
	await db
		.prepare(
			`INSERT INTO sweep_cursors (prefix, cursor, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (prefix) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
		)
		.bind(prefix, cursor, now)
		.run();
}
