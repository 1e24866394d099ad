/**
 * Everything a device request needs to know, in ONE statement: the device, its model's
 * current version, the model's open rollout and its version, and the device's pinned version
 * (each version as the fields serving it needs, `ServedVersion`: never `version_json`, which
 * may be 64 KiB, nor anything else the isolate would parse and remember for nothing). The
 * target rule (src/services/device-target.ts) then picks one of them without asking D1 again;
 * caches wrap this one read.
 */
import { OPEN_STATES_SQL, type RolloutState } from "../lib/rollout-state";
import { DEVICE_COLUMNS, type DeviceRow } from "./devices";
import { SERVED_COLUMNS, type ServedVersion } from "./firmware-versions";
import type { D1Reader } from "./reader";

export interface DeviceContextRow {
	device: DeviceRow;
	current: ServedVersion | null;
	rollout: { id: string; version: string; state: RolloutState; percent: number } | null;
	rolloutVersion: ServedVersion | null;
	pinned: ServedVersion | null;
}

/** A version row of `alias` as one JSON column (NULL when the join found none). */
const versionJson = (alias: string) =>
	`CASE WHEN ${alias}.version IS NULL THEN NULL ELSE json_object(${SERVED_COLUMNS.map(
		(c) => `'${c}', ${alias}.${c}`,
	).join(", ")}) END`;

const SQL = `SELECT ${DEVICE_COLUMNS.split(",")
	.map((c) => `d.${c.trim()}`)
	.join(", ")},
  r.id AS rollout_id, r.version AS rollout_version, r.state AS rollout_state,
  r.percent AS rollout_percent,
  ${versionJson("cur")} AS current_row,
  ${versionJson("rv")} AS rollout_row,
  ${versionJson("pv")} AS pinned_row
FROM devices d
JOIN device_models m ON m.code = d.model_code
LEFT JOIN firmware_versions cur ON cur.model_code = m.code AND cur.version = m.current_version
LEFT JOIN rollouts r ON r.model_code = m.code AND r.state IN ${OPEN_STATES_SQL}
LEFT JOIN firmware_versions rv ON rv.model_code = m.code AND rv.version = r.version
LEFT JOIN firmware_versions pv ON pv.model_code = d.model_code AND pv.version = d.pinned_version
WHERE d.key = ?1`;

type Joined = DeviceRow & {
	rollout_id: string | null;
	rollout_version: string | null;
	rollout_state: RolloutState | null;
	rollout_percent: number | null;
	current_row: string | null;
	rollout_row: string | null;
	pinned_row: string | null;
};

const parseVersion = (json: string | null): ServedVersion | null =>
	json === null ? null : (JSON.parse(json) as ServedVersion);

/** The device's context, or null when no device has that key. */
export async function getDeviceContext(
	db: D1Reader,
	key: string,
): Promise<DeviceContextRow | null> {
	const row = await db.prepare(SQL).bind(key).first<Joined>();
	if (!row) return null;
	const {
		rollout_id,
		rollout_version,
		rollout_state,
		rollout_percent,
		current_row,
		rollout_row,
		pinned_row,
		...device
	} = row;
	return {
		device,
		current: parseVersion(current_row),
		rollout:
			rollout_id !== null && rollout_version !== null && rollout_state !== null
				? {
						id: rollout_id,
						version: rollout_version,
						state: rollout_state,
						percent: rollout_percent ?? 0,
					}
				: null,
		rolloutVersion: parseVersion(rollout_row),
		pinned: parseVersion(pinned_row),
	};
}
