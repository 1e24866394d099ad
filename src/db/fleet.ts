/** Counts over a model's fleet for `GET /api/device-models/{code}/fleet` (SPEC §13). */
import { crashedDevicesPerVersionStatement } from "./crash-figures";
import type { ReportedState } from "./devices";

export interface FleetCounts {
	reported: { version: string | null; state: ReportedState | null; devices: number }[];
	seen: {
		devices: number;
		/** Active devices that are not pinned: served the current version or the rollout's. */
		active_unpinned: number;
		never: number;
		not_seen_1d: number;
		not_seen_7d: number;
		not_seen_30d: number;
	};
	crashed: { firmware_version: string; devices: number }[];
	pinned: { version: string; devices: number }[];
}

/** Every count in one round trip. `cutoffs` are the ISO times 1, 7 and 30 days ago. */
export async function fleetCounts(
	db: D1Database,
	model: string,
	cutoffs: [string, string, string],
): Promise<FleetCounts> {
	const [reported, seen, crashed, pinned] = await db.batch<Record<string, unknown>>([
		db
			.prepare(
				`SELECT reported_version AS version, reported_state AS state, count(*) AS devices
         FROM devices WHERE model_code = ?1
         GROUP BY reported_version, reported_state ORDER BY devices DESC, version, state`,
			)
			.bind(model),
		db
			.prepare(
				`SELECT count(*) AS devices,
           coalesce(sum(active = 1 AND pinned_version IS NULL), 0) AS active_unpinned,
           coalesce(sum(last_seen_at IS NULL), 0) AS never,
           coalesce(sum(last_seen_at < ?2), 0) AS not_seen_1d,
           coalesce(sum(last_seen_at < ?3), 0) AS not_seen_7d,
           coalesce(sum(last_seen_at < ?4), 0) AS not_seen_30d
         FROM devices WHERE model_code = ?1`,
			)
			.bind(model, ...cutoffs),
		crashedDevicesPerVersionStatement(db, model),
		db
			.prepare(
				`SELECT pinned_version AS version, count(*) AS devices FROM devices
         WHERE model_code = ?1 AND active = 1 AND pinned_version IS NOT NULL
         GROUP BY pinned_version ORDER BY devices DESC, version`,
			)
			.bind(model),
	]);
	return {
		reported: (reported?.results ?? []) as FleetCounts["reported"],
		seen: (seen?.results[0] ?? {
			devices: 0,
			active_unpinned: 0,
			never: 0,
			not_seen_1d: 0,
			not_seen_7d: 0,
			not_seen_30d: 0,
		}) as FleetCounts["seen"],
		crashed: (crashed?.results ?? []) as FleetCounts["crashed"],
		pinned: (pinned?.results ?? []) as FleetCounts["pinned"],
	};
}
