/**
 * The Worker's `scheduled` handler (Cron Trigger, every minute): a thin adapter that runs a
 * list of steps in turn. Each step is isolated — one that fails is logged and the next still
 * runs — and says what it did in one log line. Hourly steps run on the run of minute 0.
 */
import type { Env } from "./env";
import { resendOverdueAnalyses } from "./services/analysis-requests";
import { guardOpenRollouts } from "./services/crash-guard";
import { sweepUnreferencedObjects } from "./services/object-sweep";
import { advanceRolloutSteps } from "./services/rollout-schedule";

type Defer = (work: Promise<unknown>) => void;

export interface ScheduledStep {
	name: string;
	/** Runs once an hour (on the run of minute 0) instead of on every run. */
	hourly?: boolean;
	run(env: Env, now: Date, defer: Defer): Promise<unknown>;
}

export const SCHEDULED_STEPS: readonly ScheduledStep[] = [
	// The guard first: a release that crashes devices must not take its next step.
	{ name: "crash_guard", run: (env, _now, defer) => guardOpenRollouts(env, defer) },
	{ name: "rollout_steps", run: (env, now, defer) => advanceRolloutSteps(env, now, defer) },
	{ name: "object_sweep", hourly: true, run: (env, now) => sweepUnreferencedObjects(env, now) },
	// Core dumps whose analysis request was never sent, or was sent long ago and not answered.
	{ name: "resend_analyses", run: (env, now) => resendOverdueAnalyses(env, now) },
];

export async function runScheduled(
	controller: ScheduledController,
	env: Env,
	ctx: ExecutionContext,
	steps: readonly ScheduledStep[] = SCHEDULED_STEPS,
): Promise<void> {
	const now = new Date(controller.scheduledTime);
	const defer: Defer = (work) =>
		ctx.waitUntil(
			work.catch((err: unknown) =>
				console.error(JSON.stringify({ msg: "background work failed", error: String(err) })),
			),
		);
	for (const step of steps) {
		if (step.hourly && now.getUTCMinutes() !== 0) continue;
		const started = Date.now();
		try {
			const result = await step.run(env, now, defer);
			console.log(
				JSON.stringify({
					msg: "scheduled step",
					step: step.name,
					cron: controller.cron,
					duration_ms: Date.now() - started,
					result,
				}),
			);
		} catch (err) {
			console.error(
				JSON.stringify({
					msg: "scheduled step failed",
					step: step.name,
					cron: controller.cron,
					error: err instanceof Error ? err.message : String(err),
				}),
			);
		}
	}
}
