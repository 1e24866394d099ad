/** Counts over a model's fleet that a rollout and its crash guard need (SPEC §13). */
import type { GuardFigures } from "../lib/crash-guard";
import { bucketSql, bucketThreshold, membershipHash } from "../lib/rollout-membership";
import type { RolloutState } from "../lib/rollout-state";
import { countCrashedDevicesStatement } from "./crash-figures";

export interface RolloutScope {
	id: string;
	model_code: string;
	version: string;
	state: RolloutState;
	percent: number;
}

/**
 * The active devices an open rollout serves its version to: those its hash reaches, not
 * pinned, and — once halted — only those already running it. The same rule as
 * `chooseTarget`, evaluated by D1 over the whole fleet in one statement.
 */
export function countTargetedStatement(db: D1Database, r: RolloutScope): D1PreparedStatement {
	return db
		.prepare(
			`SELECT count(*) AS n FROM devices d
       WHERE d.model_code = ?1 AND d.active = 1 AND d.pinned_version IS NULL
         AND ${bucketSql(membershipHash(r.id), "d.key")} < ?2
         AND (?3 = 0 OR d.reported_version IS ?4)`,
		)
		.bind(r.model_code, bucketThreshold(r.percent), r.state === "halted" ? 1 : 0, r.version);
}

export async function countTargeted(db: D1Database, r: RolloutScope): Promise<number> {
	return (await countTargetedStatement(db, r).first<{ n: number }>())?.n ?? 0;
}

/** Every figure the guard judges, in one round trip. */
export async function guardFigures(db: D1Database, r: RolloutScope): Promise<GuardFigures> {
	const [running, crashed, targeted, failed] = await db.batch<{ n: number }>([
		db
			.prepare(
				`SELECT count(*) AS n FROM devices
         WHERE model_code = ?1 AND reported_version = ?2 AND reported_state = 'running'`,
			)
			.bind(r.model_code, r.version),
		countCrashedDevicesStatement(db, r.model_code, r.version),
		countTargetedStatement(db, r),
		db.prepare("SELECT count(*) AS n FROM rollout_failures WHERE rollout_id = ?1").bind(r.id),
	]);
	const n = (result: D1Result<{ n: number }> | undefined) => result?.results[0]?.n ?? 0;
	return {
		devices_running: n(running),
		devices_crashed: n(crashed),
		devices_targeted: n(targeted),
		devices_failed: n(failed),
	};
}
