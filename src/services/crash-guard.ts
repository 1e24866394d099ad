/**
 * The crash guard (SPEC §13): a rollout whose target makes devices crash, or fail to install,
 * halts by itself. Evaluated as soon as a core dump of the target version has been analysed
 * (`evaluateCrashGuard`, called after each analysis) and again by the scheduled run
 * (`guardOpenRollouts`). A halt keeps the figures in `halted_reason`, stops the target from
 * reaching any further device, tells the devices whose target went back, and announces itself
 * once on `iotsupport/rollouts/<model_code>`.
 */
import { guardFigures } from "../db/rollout-figures";
import { getOpenRollout, listOpenRollouts, type RolloutRow } from "../db/rollouts";
import type { Env } from "../env";
import { guardVerdict, type HaltReason } from "../lib/crash-guard";
import { applyDecision } from "./rollout-changes";
import { rolloutGuard } from "./rollout-view";

export const GUARD_ACTOR = "crash-guard";

type Defer = (work: Promise<unknown>) => void;

/** Runs `work` with a defer that collects what it starts, then waits for all of it. */
async function settled<T>(defer: Defer | undefined, work: (defer: Defer) => Promise<T>) {
	if (defer) return work(defer);
	const pending: Promise<unknown>[] = [];
	const result = await work((p) => pending.push(p));
	await Promise.allSettled(pending);
	return result;
}

const guarded = (row: RolloutRow) =>
	(row.state === "active" || row.state === "paused") && row.guard !== null;

/**
 * Judges the rollout of `version` on `modelCode`, if one is open, guarded and not yet halted;
 * halts it when the figures say so. Returns the reason it halted, else null.
 */
export async function evaluateCrashGuard(
	env: Env,
	modelCode: string,
	version: string,
	defer?: Defer,
): Promise<HaltReason | null> {
	const row = await getOpenRollout(env.DB, modelCode);
	if (!row || row.version !== version || !guarded(row)) return null;
	return settled(defer, (d) => judge(env, row, d));
}

async function judge(env: Env, row: RolloutRow, defer: Defer): Promise<HaltReason | null> {
	const guard = rolloutGuard(row);
	if (!guard) return null;
	const reason = guardVerdict(guard, await guardFigures(env.DB, row));
	if (!reason) return null;
	const outcome = await applyDecision(
		env,
		() => getOpenRollout(env.DB, row.model_code),
		(current) =>
			current.id === row.id && guarded(current)
				? {
						action: "halt",
						set: { state: "halted", halted_reason: JSON.stringify(reason) },
						details: { rule: reason.rule, rate: reason.rate, limit: reason.limit },
						notify: true,
						announce: true,
					}
				: null,
		GUARD_ACTOR,
		defer,
	);
	if (!outcome?.changed) return null;
	console.log(
		JSON.stringify({
			msg: "rollout halted by the crash guard",
			model: row.model_code,
			rollout_id: row.id,
			version: row.version,
			reason,
		}),
	);
	return reason;
}

/** The scheduled run's pass: judges every guarded open rollout; returns those it halted. */
export async function guardOpenRollouts(
	env: Env,
	defer?: Defer,
): Promise<{ checked: number; halted: string[] }> {
	const rows = (await listOpenRollouts(env.DB)).filter(guarded);
	const halted: string[] = [];
	await settled(defer, async (d) => {
		for (const row of rows) {
			try {
				if (await judge(env, row, d)) halted.push(row.id);
			} catch (err) {
				console.error(
					JSON.stringify({ msg: "crash guard failed", rollout_id: row.id, error: String(err) }),
				);
			}
		}
	});
	return { checked: rows.length, halted };
}
