import { describe, expect, it } from "vitest";
import { dueStep, nextStepAt, stepProblems } from "../../src/lib/rollout-steps";

const start = "2026-01-01T00:00:00.000Z";
const at = (minutes: number) => Date.parse(start) + minutes * 60_000;
const steps = [
	{ percent: 25, after_minutes: 60 },
	{ percent: 100, after_minutes: 120 },
];

describe("rollout steps", () => {
	it("are due after_minutes after the current step began, one at a time", () => {
		const clock = { percent: 5, steps, stepIndex: 0, stepStartedAt: start };
		expect(dueStep(clock, at(59))).toBeNull();
		expect(dueStep(clock, at(60))).toEqual({ index: 0, percent: 25 });
		// Hours late: still only the next step; the one after counts from when this one applies.
		expect(dueStep(clock, at(600))).toEqual({ index: 0, percent: 25 });
		expect(nextStepAt(clock)).toBe("2026-01-01T01:00:00.000Z");
	});

	it("count the next step from when the previous one took effect", () => {
		const clock = {
			percent: 25,
			steps,
			stepIndex: 1,
			stepStartedAt: new Date(at(90)).toISOString(),
		};
		expect(dueStep(clock, at(209))).toBeNull();
		expect(dueStep(clock, at(210))).toEqual({ index: 1, percent: 100 });
	});

	it("never lower a percentage an operator raised meanwhile", () => {
		const clock = { percent: 40, steps, stepIndex: 0, stepStartedAt: start };
		expect(dueStep(clock, at(60))).toEqual({ index: 0, percent: 40 });
	});

	it("end when every step is applied", () => {
		const clock = { percent: 100, steps, stepIndex: 2, stepStartedAt: start };
		expect(dueStep(clock, at(10_000))).toBeNull();
		expect(nextStepAt(clock)).toBeNull();
	});

	it("must each raise the percentage above the one before", () => {
		expect(stepProblems(5, steps)).toEqual([]);
		expect(stepProblems(30, steps)).toEqual([
			"steps.0.percent must be above 30 (the percentage before it)",
		]);
		expect(
			stepProblems(5, [
				{ percent: 50, after_minutes: 1 },
				{ percent: 50, after_minutes: 1 },
			]),
		).toEqual(["steps.1.percent must be above 50 (the percentage before it)"]);
	});
});
