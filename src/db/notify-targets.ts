/** What the MQTT fan-out reads: the model's target snapshot and its devices, a key range at a time. */
import { OPEN_STATES_SQL, type RolloutState, type TargetSnapshot } from "../lib/rollout-state";

/** The model's current version and open rollout; null when the model is gone. */
export async function getTargetSnapshot(
	db: D1Database,
	model: string,
): Promise<TargetSnapshot | null> {
	const row = await db
		.prepare(
			`SELECT m.current_version, r.id, r.version, r.state, r.percent FROM device_models m
       LEFT JOIN rollouts r ON r.model_code = m.code AND r.state IN ${OPEN_STATES_SQL}
       WHERE m.code = ?1`,
		)
		.bind(model)
		.first<{
			current_version: string | null;
			id: string | null;
			version: string | null;
			state: RolloutState | null;
			percent: number | null;
		}>();
	if (!row) return null;
	return {
		current: row.current_version,
		rollout:
			row.id !== null && row.version !== null && row.state !== null
				? { id: row.id, version: row.version, state: row.state, percent: row.percent ?? 0 }
				: null,
	};
}

/**
 * The keys that end each batch of `size` active devices, in key order (every size-th key): the
 * ranges (previous bound, bound] cover the fleet, plus one after the last bound. One statement
 * over the (model_code, key) index, however large the fleet.
 */
export async function batchBounds(db: D1Database, model: string, size: number): Promise<string[]> {
	const { results } = await db
		.prepare(
			`SELECT key FROM (
         SELECT key, row_number() OVER (ORDER BY key) AS n FROM devices
         WHERE model_code = ?1 AND active = 1)
       WHERE n % ?2 = 0 ORDER BY key`,
		)
		.bind(model, size)
		.all<{ key: string }>();
	return results.map((r) => r.key);
}

export interface FanOutDevice {
	key: string;
	pinned_version: string | null;
	reported_version: string | null;
}

/** The model's active devices with `afterKey < key <= throughKey` (no upper end when null). */
export async function devicesInRange(
	db: D1Database,
	model: string,
	afterKey: string,
	throughKey: string | null,
	limit: number,
): Promise<FanOutDevice[]> {
	const { results } = await db
		.prepare(
			`SELECT key, pinned_version, reported_version FROM devices
       WHERE model_code = ?1 AND active = 1 AND key > ?2 AND (?3 IS NULL OR key <= ?3)
       ORDER BY key LIMIT ?4`,
		)
		.bind(model, afterKey, throughKey, limit)
		.all<FanOutDevice>();
	return results;
}
