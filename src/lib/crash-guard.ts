/**
 * The crash guard's verdict (SPEC §13), from figures D1 has counted. Pure: the service reads
 * the figures and acts on the verdict.
 *
 * - crash rate: the devices with a core dump of the target version, over the devices that
 *   report running it; judged once at least `min_devices` report running it. A device that
 *   crashed and rolled back leaves the denominator, so the rate only rises — the guard errs on
 *   the side of halting.
 * - failure rate (optional, like hawkBit's error threshold): the devices that reported
 *   `failed` or `rolled_back` for the target while the rollout was open, over the devices the
 *   rollout gives the target; judged once at least `min_devices` are targeted.
 */

export interface CrashGuard {
	/** 0..1: the share of devices on the target with a core dump that halts the rollout. */
	max_crash_rate: number;
	/** 0..1: the share of targeted devices that failed to install it. */
	max_failure_rate?: number | null;
	/** The guard judges nothing before this many devices count. */
	min_devices: number;
}

export interface GuardFigures {
	/** Devices reporting `running` the target version. */
	devices_running: number;
	/** Devices with a core dump of the target version. */
	devices_crashed: number;
	/** Devices the rollout serves the target to. */
	devices_targeted: number;
	/** Devices that reported `failed` or `rolled_back` for the target during the rollout. */
	devices_failed: number;
}

export interface HaltReason {
	rule: "crash_rate" | "failure_rate";
	message: string;
	rate: number;
	limit: number;
	min_devices: number;
	figures: GuardFigures;
}

const percentText = (rate: number) => `${(rate * 100).toFixed(1)} %`;

/** The reason to halt, or null while the figures are within the guard. */
export function guardVerdict(guard: CrashGuard, figures: GuardFigures): HaltReason | null {
	const { devices_running: running, devices_crashed: crashed } = figures;
	if (running >= guard.min_devices && running > 0) {
		const rate = crashed / running;
		if (rate > guard.max_crash_rate) {
			return {
				rule: "crash_rate",
				message: `${crashed} of ${running} devices running the target sent a core dump from it (${percentText(rate)}, limit ${percentText(guard.max_crash_rate)}).`,
				rate,
				limit: guard.max_crash_rate,
				min_devices: guard.min_devices,
				figures,
			};
		}
	}
	const maxFailure = guard.max_failure_rate;
	const { devices_targeted: targeted, devices_failed: failed } = figures;
	if (maxFailure != null && targeted >= guard.min_devices && targeted > 0) {
		const rate = failed / targeted;
		if (rate > maxFailure) {
			return {
				rule: "failure_rate",
				message: `${failed} of ${targeted} targeted devices reported a failed or rolled-back update (${percentText(rate)}, limit ${percentText(maxFailure)}).`,
				rate,
				limit: maxFailure,
				min_devices: guard.min_devices,
				figures,
			};
		}
	}
	return null;
}
