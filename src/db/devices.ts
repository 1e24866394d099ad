import { deviceClientId } from "../lib/identifiers";

export interface DeviceRow {
	key: string;
	model_code: string;
	name: string | null;
	active: number;
	last_coredump_at: string | null;
	created_at: string;
	updated_at: string;
	pinned_version: string | null;
	reported_version: string | null;
	reported_state: ReportedState | null;
	reported_error: string | null;
	reported_at: string | null;
	last_seen_at: string | null;
}

/** What a device says about an update (SPEC §13). */
export type ReportedState = "running" | "downloading" | "installing" | "failed" | "rolled_back";

/** A device as the API shows it: its row, with `active` as a boolean and its MQTT client id. */
export interface Device extends Omit<DeviceRow, "active"> {
	active: boolean;
	client_id: string;
}

export const DEVICE_COLUMNS = `key, model_code, name, active, last_coredump_at, created_at, updated_at,
  pinned_version, reported_version, reported_state, reported_error, reported_at, last_seen_at`;
const COLUMNS = DEVICE_COLUMNS;

export function toDevice(row: DeviceRow): Device {
	return {
		key: row.key,
		model_code: row.model_code,
		name: row.name,
		active: row.active === 1,
		client_id: deviceClientId(row.model_code, row.key),
		last_coredump_at: row.last_coredump_at,
		created_at: row.created_at,
		updated_at: row.updated_at,
		pinned_version: row.pinned_version,
		reported_version: row.reported_version,
		reported_state: row.reported_state,
		reported_error: row.reported_error,
		reported_at: row.reported_at,
		last_seen_at: row.last_seen_at,
	};
}

export async function listDevices(db: D1Database, modelCode?: string): Promise<Device[]> {
	const statement = modelCode
		? db
				.prepare(`SELECT ${COLUMNS} FROM devices WHERE model_code = ?1 ORDER BY key`)
				.bind(modelCode)
		: db.prepare(`SELECT ${COLUMNS} FROM devices ORDER BY model_code, key`);
	const { results } = await statement.all<DeviceRow>();
	return results.map(toDevice);
}

function selectDevice(db: D1Database, key: string): D1PreparedStatement {
	return db.prepare(`SELECT ${COLUMNS} FROM devices WHERE key = ?1`).bind(key);
}

export async function getDevice(db: D1Database, key: string): Promise<Device | null> {
	const row = await selectDevice(db, key).first<DeviceRow>();
	return row ? toDevice(row) : null;
}

/**
 * Inserts a device. "created", "key_taken" (retry with another key) or "no_model" — the
 * model check is part of the statement, so a model deleted meanwhile cannot gain a device.
 */
export async function insertDevice(
	db: D1Database,
	device: { key: string; modelCode: string; name: string | null; now: string },
): Promise<"created" | "key_taken" | "no_model"> {
	const result = await db
		.prepare(
			`INSERT INTO devices (key, model_code, name, active, created_at, updated_at)
       SELECT ?1, code, ?3, 1, ?4, ?4 FROM device_models WHERE code = ?2
       ON CONFLICT (key) DO NOTHING`,
		)
		.bind(device.key, device.modelCode, device.name, device.now)
		.run();
	if (result.meta.changes === 1) return "created";
	const model = await db
		.prepare("SELECT 1 FROM device_models WHERE code = ?1")
		.bind(device.modelCode)
		.first();
	return model ? "key_taken" : "no_model";
}

/**
 * Updates name, active and/or the pinned version; false when the device does not exist or the
 * version to pin is not a stored version of its model (checked in the statement, so a version
 * deleted meanwhile is never pinned).
 */
export async function updateDevice(
	db: D1Database,
	key: string,
	patch: { name?: string | null; active?: boolean; pinned_version?: string | null; now: string },
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE devices SET
         name = CASE WHEN ?2 THEN ?3 ELSE name END,
         active = CASE WHEN ?4 THEN ?5 ELSE active END,
         pinned_version = CASE WHEN ?7 THEN ?8 ELSE pinned_version END,
         updated_at = ?6
       WHERE key = ?1 AND (?7 = 0 OR ?8 IS NULL OR EXISTS (SELECT 1 FROM firmware_versions v
         WHERE v.model_code = devices.model_code AND v.version = ?8))`,
		)
		.bind(
			key,
			patch.name !== undefined ? 1 : 0,
			patch.name ?? null,
			patch.active !== undefined ? 1 : 0,
			patch.active ? 1 : 0,
			patch.now,
			patch.pinned_version !== undefined ? 1 : 0,
			patch.pinned_version ?? null,
		)
		.run();
	return result.meta.changes === 1;
}

/** Deletes the device and, by cascade, its core dump rows. Returns the deleted device. */
export async function deleteDevice(db: D1Database, key: string): Promise<Device | null> {
	const row = await db
		.prepare(`DELETE FROM devices WHERE key = ?1 RETURNING ${COLUMNS}`)
		.bind(key)
		.first<DeviceRow>();
	return row ? toDevice(row) : null;
}
