/**
 * A rollout's steps (SPEC §13): `[{"percent","after_minutes"}]`, applied one at a time by the
 * scheduled run. A step is due `after_minutes` after the previous one took effect (the start,
 * the last step, or the moment a paused or halted rollout was resumed). A step never lowers the
 * percentage: one at or below what an operator has already set is passed over.
 */

export interface RolloutStep {
	percent: number;
	after_minutes: number;
}

export interface StepClock {
	percent: number;
	steps: readonly RolloutStep[];
	/** The next step to apply. */
	stepIndex: number;
	/** When the current step began (ISO-8601). */
	stepStartedAt: string;
}

export interface DueStep {
	/** The step being applied. */
	index: number;
	/** The percentage once it is applied (never below the current one). */
	percent: number;
}

export const MAX_STEPS = 20;
/** 90 days: a step further away than that is a typo. */
export const MAX_AFTER_MINUTES = 90 * 24 * 60;

/** The step due at `nowMs`, or null when none is (or none is left). One step per call. */
export function dueStep(clock: StepClock, nowMs: number): DueStep | null {
	const step = clock.steps[clock.stepIndex];
	if (!step) return null;
	const startedMs = Date.parse(clock.stepStartedAt);
	if (!Number.isFinite(startedMs)) return null;
	if (nowMs < startedMs + step.after_minutes * 60_000) return null;
	return { index: clock.stepIndex, percent: Math.max(clock.percent, step.percent) };
}

/** When the next step is due (ISO-8601), or null when no step is left. */
export function nextStepAt(clock: StepClock): string | null {
	const step = clock.steps[clock.stepIndex];
	const startedMs = Date.parse(clock.stepStartedAt);
	if (!step || !Number.isFinite(startedMs)) return null;
	return new Date(startedMs + step.after_minutes * 60_000).toISOString();
}

/**
 * What is wrong with a plan of steps after a start at `startPercent`: each step must raise the
 * percentage above the one before it. Empty when the plan is fine.
 */
export function stepProblems(startPercent: number, steps: readonly RolloutStep[]): string[] {
	const problems: string[] = [];
	let previous = startPercent;
	steps.forEach((step, i) => {
		if (step.percent <= previous) {
			problems.push(`steps.${i}.percent must be above ${previous} (the percentage before it)`);
		}
		previous = Math.max(previous, step.percent);
	});
	return problems;
}
