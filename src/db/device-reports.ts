/** D1 statements for what devices report about themselves (SPEC §13). */
import { OPEN_STATES_SQL } from "../lib/rollout-state";
import type { ReportedState } from "./devices";

export interface StatusReport {
	firmware_version: string;
	state: ReportedState;
	error: string | null;
}

/**
 * Records a status report on the device and, when it says an update to the version of the
 * model's open rollout failed or was rolled back, counts it for that rollout's guard — one
 * transaction. False when the device is gone.
 */
export async function recordStatus(
	db: D1Database,
	key: string,
	report: StatusReport,
	now: string,
): Promise<boolean> {
	const [update] = await db.batch([
		db
			.prepare(
				`UPDATE devices SET reported_version = ?2, reported_state = ?3, reported_error = ?4,
           reported_at = ?5, last_seen_at = ?5
         WHERE key = ?1`,
			)
			.bind(key, report.firmware_version, report.state, report.error, now),
		db
			.prepare(
				`INSERT INTO rollout_failures (rollout_id, device_key, state, error, reported_at)
         SELECT r.id, d.key, ?3, ?4, ?5 FROM devices d
         JOIN rollouts r ON r.model_code = d.model_code AND r.state IN ${OPEN_STATES_SQL}
         WHERE d.key = ?1 AND r.version = ?2 AND ?3 IN ('failed', 'rolled_back')
         ON CONFLICT (rollout_id, device_key) DO UPDATE SET
           state = excluded.state, error = excluded.error, reported_at = excluded.reported_at`,
			)
			.bind(key, report.firmware_version, report.state, report.error, now),
	]);
	return update?.meta.changes === 1;
}

/**
 * A device that only polls says which version it runs (`X-Firmware-Version`): written only
 * when that is news — another version, or not yet known as running — so a device polling with
 * the same version costs no write, even when the caller decided on a cached row.
 */
export async function recordRunningVersion(
	db: D1Database,
	key: string,
	version: string,
	now: string,
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE devices SET reported_version = ?2, reported_state = 'running',
         reported_error = NULL, reported_at = ?3, last_seen_at = ?3
       WHERE key = ?1 AND (reported_version IS NOT ?2 OR reported_state IS NOT 'running')`,
		)
		.bind(key, version, now)
		.run();
	return result.meta.changes === 1;
}

/** Moves `last_seen_at` to `now` unless it is already later than `staleBefore`. */
export async function touchLastSeen(
	db: D1Database,
	key: string,
	now: string,
	staleBefore: string,
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE devices SET last_seen_at = ?2
       WHERE key = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?3)`,
		)
		.bind(key, now, staleBefore)
		.run();
	return result.meta.changes === 1;
}
