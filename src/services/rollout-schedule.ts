/**
 * Advances rollouts along their steps (SPEC §13), from the scheduled run. Only an active
 * rollout advances — a paused or halted one waits — and by one step per run, so the crash guard
 * judges each step before the next.
 */
import { getOpenRollout, listOpenRollouts } from "../db/rollouts";
import type { Env } from "../env";
import { dueStep } from "../lib/rollout-steps";
import { applyDecision } from "./rollout-changes";
import { rolloutSteps } from "./rollout-view";

export const SCHEDULE_ACTOR = "schedule";

type Defer = (work: Promise<unknown>) => void;

export async function advanceRolloutSteps(
	env: Env,
	now: Date,
	defer: Defer,
): Promise<{ advanced: { rollout_id: string; percent: number }[] }> {
	const advanced: { rollout_id: string; percent: number }[] = [];
	for (const row of await listOpenRollouts(env.DB)) {
		if (row.state !== "active") continue;
		try {
			const outcome = await applyDecision(
				env,
				() => getOpenRollout(env.DB, row.model_code),
				(current) => {
					if (current.id !== row.id || current.state !== "active") return null;
					const step = dueStep(
						{
							percent: current.percent,
							steps: rolloutSteps(current),
							stepIndex: current.step_index,
							stepStartedAt: current.step_started_at,
						},
						now.getTime(),
					);
					if (!step) return null;
					return {
						action: "step",
						set: {
							percent: step.percent,
							step_index: step.index + 1,
							step_started_at: now.toISOString(),
						},
						details: { step: step.index, from: current.percent, to: step.percent },
						notify: step.percent !== current.percent,
					};
				},
				SCHEDULE_ACTOR,
				defer,
			);
			if (outcome?.changed) {
				advanced.push({ rollout_id: row.id, percent: outcome.row.percent });
			}
		} catch (err) {
			console.error(
				JSON.stringify({ msg: "rollout step failed", rollout_id: row.id, error: String(err) }),
			);
		}
	}
	return { advanced };
}
