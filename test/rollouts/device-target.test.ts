import { describe, expect, it } from "vitest";
import { isMember, membershipHash } from "../../src/lib/rollout-membership";
import {
	chooseTarget,
	type RolloutForTarget,
	targetVersionOf,
} from "../../src/services/device-target";
import { simulatedKeys } from "./fleet-keys";

const ID = "00112233aabbccdd";
const keys = simulatedKeys(400, 9);
const member = keys.find((k) => isMember(membershipHash(ID), k, 30)) as string;
const outsider = keys.find((k) => !isMember(membershipHash(ID), k, 30)) as string;
const rollout = (state: RolloutForTarget["state"], percent = 30): RolloutForTarget => ({
	id: ID,
	version: "2.0.0",
	state,
	percent,
});
const device = (key: string, extra: { pinned?: string; reported?: string } = {}) => ({
	key,
	pinned_version: extra.pinned ?? null,
	reported_version: extra.reported ?? null,
});
const snapshot = (r: RolloutForTarget | null) => ({ current: "1.0.0", rollout: r });

describe("a device's target", () => {
	it("is the current version without a rollout or pin", () => {
		expect(targetVersionOf(snapshot(null), device(member))).toBe("1.0.0");
	});

	it("is the rollout's version for the devices it reaches, active or paused", () => {
		for (const state of ["active", "paused"] as const) {
			expect(targetVersionOf(snapshot(rollout(state)), device(member))).toBe("2.0.0");
			expect(targetVersionOf(snapshot(rollout(state)), device(outsider))).toBe("1.0.0");
		}
	});

	it("once halted, stays the target only for devices that already run it", () => {
		const halted = snapshot(rollout("halted"));
		expect(targetVersionOf(halted, device(member))).toBe("1.0.0");
		expect(targetVersionOf(halted, device(member, { reported: "2.0.0" }))).toBe("2.0.0");
		expect(targetVersionOf(halted, device(outsider, { reported: "2.0.0" }))).toBe("1.0.0");
	});

	it("ignores closed rollouts", () => {
		for (const state of ["completed", "aborted"] as const) {
			expect(targetVersionOf(snapshot(rollout(state, 100)), device(member))).toBe("1.0.0");
		}
	});

	it("is the pinned version, whatever the rollout", () => {
		for (const r of [null, rollout("active", 100), rollout("halted", 100)]) {
			expect(targetVersionOf(snapshot(r), device(member, { pinned: "0.9.0" }))).toBe("0.9.0");
		}
	});

	it("falls through when the pinned row is missing, and names its source", () => {
		const target = chooseTarget({
			device: device(member, { pinned: "0.9.0" }),
			current: "1.0.0",
			pinned: null,
			rollout: rollout("active"),
			rolloutVersion: "2.0.0",
		});
		expect(target).toEqual({ version: "2.0.0", source: "rollout" });
	});
});
