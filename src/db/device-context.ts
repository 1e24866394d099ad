import { type Device, type DeviceRow, toDevice } from "./devices";
import { SERVED_COLUMNS, type ServedVersion } from "./firmware-versions";
import type { D1Reader } from "./reader";

/** A device as its requests see it: its record and the version it should run. */
export interface DeviceContextRow {
	device: Device | null;
	/** The image the device should run: its model's current version; null when none. */
	target: ServedVersion | null;
}

const DEVICE_COLUMNS = ["key", "model_code", "name", "active", "last_coredump_at"];
const TIMES = ["created_at", "updated_at"];

/**
 * The device and its model's current version in one statement (one D1 round trip, one query).
 * A device that does not exist gives no row; a model without a current version gives nulls in
 * the target's columns.
 */
export async function readDeviceContext(db: D1Reader, key: string): Promise<DeviceContextRow> {
	const row = await db
		.prepare(
			`SELECT ${[...DEVICE_COLUMNS, ...TIMES].map((c) => `d.${c}`).join(", ")},
         ${SERVED_COLUMNS.map((c) => `v.${c} AS target_${c}`).join(", ")}
       FROM devices d
       LEFT JOIN device_models m ON m.code = d.model_code
       LEFT JOIN firmware_versions v ON v.model_code = m.code AND v.version = m.current_version
       WHERE d.key = ?1`,
		)
		.bind(key)
		.first<Record<string, unknown>>();
	if (!row) return { device: null, target: null };
	const device = toDevice(row as unknown as DeviceRow);
	if (row.target_sha256 === null || row.target_sha256 === undefined)
		return { device, target: null };
	const target = Object.fromEntries(
		SERVED_COLUMNS.map((c) => [c, row[`target_${c}`]]),
	) as unknown as ServedVersion;
	return { device, target };
}
