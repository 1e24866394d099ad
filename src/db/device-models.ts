export interface DeviceModel {
	code: string;
	name: string;
	chip: string | null;
	firmware_version: string | null;
	device_count: number;
	created_at: string;
	updated_at: string;
}

const SELECT_MODEL = `SELECT m.code, m.name, m.chip, m.current_version AS firmware_version,
  (SELECT count(*) FROM devices d WHERE d.model_code = m.code) AS device_count,
  m.created_at, m.updated_at
FROM device_models m`;

export function listModels(db: D1Database): Promise<DeviceModel[]> {
	return db
		.prepare(`${SELECT_MODEL} ORDER BY m.code`)
		.all<DeviceModel>()
		.then((r) => r.results);
}

export function getModel(db: D1Database, code: string): Promise<DeviceModel | null> {
	return db.prepare(`${SELECT_MODEL} WHERE m.code = ?1`).bind(code).first<DeviceModel>();
}

/** Inserts a model; false when the code is taken. */
export async function insertModel(
	db: D1Database,
	model: { code: string; name: string; chip: string | null; now: string },
): Promise<boolean> {
	const result = await db
		.prepare(
			`INSERT INTO device_models (code, name, chip, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (code) DO NOTHING`,
		)
		.bind(model.code, model.name, model.chip, model.now)
		.run();
	return result.meta.changes === 1;
}

/** Updates name and/or chip; false when the model does not exist. */
export async function updateModel(
	db: D1Database,
	code: string,
	patch: { name?: string; chip?: string | null; now: string },
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE device_models SET
         name = CASE WHEN ?2 THEN ?3 ELSE name END,
         chip = CASE WHEN ?4 THEN ?5 ELSE chip END,
         updated_at = ?6
       WHERE code = ?1`,
		)
		.bind(
			code,
			patch.name !== undefined ? 1 : 0,
			patch.name ?? null,
			patch.chip !== undefined ? 1 : 0,
			patch.chip ?? null,
			patch.now,
		)
		.run();
	return result.meta.changes === 1;
}

/**
 * Deletes a model that has no devices (its versions go with it, by cascade).
 * "deleted" | "missing" | "has_devices", decided inside one statement so a device
 * created concurrently can never be orphaned.
 */
export async function deleteModelIfNoDevices(
	db: D1Database,
	code: string,
): Promise<"deleted" | "missing" | "has_devices"> {
	// RETURNING, not meta.changes: D1 counts the rows removed by cascade as changes too.
	const deleted = await db
		.prepare(
			`DELETE FROM device_models WHERE code = ?1
         AND NOT EXISTS (SELECT 1 FROM devices WHERE model_code = ?1) RETURNING code`,
		)
		.bind(code)
		.first();
	if (deleted) return "deleted";
	const exists = await db.prepare("SELECT 1 FROM device_models WHERE code = ?1").bind(code).first();
	return exists ? "has_devices" : "missing";
}
