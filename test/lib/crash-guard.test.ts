import { describe, expect, it } from "vitest";
import { type GuardFigures, guardVerdict } from "../../src/lib/crash-guard";

const figures = (f: Partial<GuardFigures>): GuardFigures => ({
	devices_running: 0,
	devices_crashed: 0,
	devices_targeted: 0,
	devices_failed: 0,
	...f,
});

describe("the crash guard's verdict", () => {
	const guard = { max_crash_rate: 0.1, min_devices: 10 };

	it("judges nothing before min_devices report running the target", () => {
		expect(guardVerdict(guard, figures({ devices_running: 9, devices_crashed: 9 }))).toBeNull();
	});

	it("halts when the share of crashed devices exceeds the limit, with the figures", () => {
		expect(guardVerdict(guard, figures({ devices_running: 20, devices_crashed: 2 }))).toBeNull();
		const verdict = guardVerdict(guard, figures({ devices_running: 20, devices_crashed: 3 }));
		expect(verdict).toMatchObject({
			rule: "crash_rate",
			rate: 0.15,
			limit: 0.1,
			min_devices: 10,
			figures: { devices_running: 20, devices_crashed: 3 },
		});
		expect(verdict?.message).toBe(
			"3 of 20 devices running the target sent a core dump from it (15.0 %, limit 10.0 %).",
		);
	});

	it("halts on the failure rate only when one is set", () => {
		const failing = figures({ devices_running: 10, devices_targeted: 40, devices_failed: 9 });
		expect(guardVerdict(guard, failing)).toBeNull();
		expect(guardVerdict({ ...guard, max_failure_rate: 0.2 }, failing)).toMatchObject({
			rule: "failure_rate",
			rate: 0.225,
		});
		expect(
			guardVerdict({ ...guard, max_failure_rate: 0.2 }, { ...failing, devices_targeted: 9 }),
		).toBeNull();
	});
});
