import { isMember, membershipHash } from "../lib/rollout-membership";
import { isOpen, type RolloutForTarget, type TargetSnapshot } from "../lib/rollout-state";

export type { RolloutForTarget, TargetSnapshot };

/**
 * The version a device is served (SPEC §13), as one pure rule over what D1 holds:
 *
 *   1. pinned: a device pinned to a stored version gets it, whatever else happens;
 *   2. rollout: a device the model's open rollout reaches (its hash bucket is below the
 *      percentage) gets the rollout's version — while the rollout is active or paused; once it
 *      is halted, only the devices that already report running the target keep it, and no
 *      other device gets it;
 *   3. current: every other device gets the model's current version (null when none).
 *
 * Generic over what a version is (a D1 row on the device path, its name when notifying), so
 * the download endpoints, the admin device JSON and the MQTT fan-out all decide alike.
 */

export interface TargetInputs<V> {
	device: { key: string; pinned_version: string | null; reported_version: string | null };
	/** The model's current version. */
	current: V | null;
	/** The device's pinned version (null when not pinned, or the pin names nothing stored). */
	pinned: V | null;
	/** The model's open rollout, if any. */
	rollout: RolloutForTarget | null;
	/** The open rollout's version. */
	rolloutVersion: V | null;
}

export type TargetSource = "pinned" | "rollout" | "current";

export interface Target<V> {
	version: V | null;
	source: TargetSource;
}

const hashes = new Map<string, ReturnType<typeof membershipHash>>();

/** The membership hash of a rollout, derived once per isolate (a handful of rollouts). */
function hashOf(rolloutId: string) {
	let hash = hashes.get(rolloutId);
	if (!hash) {
		if (hashes.size >= 64) hashes.clear();
		hash = membershipHash(rolloutId);
		hashes.set(rolloutId, hash);
	}
	return hash;
}

/** Whether the rollout reaches the device (its bucket is below the percentage). */
export function reaches(rollout: RolloutForTarget, deviceKey: string): boolean {
	return isMember(hashOf(rollout.id), deviceKey, rollout.percent);
}

export function chooseTarget<V>(inputs: TargetInputs<V>): Target<V> {
	const { device, rollout } = inputs;
	if (device.pinned_version !== null && inputs.pinned !== null) {
		return { version: inputs.pinned, source: "pinned" };
	}
	if (
		rollout &&
		isOpen(rollout.state) &&
		inputs.rolloutVersion !== null &&
		reaches(rollout, device.key) &&
		(rollout.state !== "halted" || device.reported_version === rollout.version)
	) {
		return { version: inputs.rolloutVersion, source: "rollout" };
	}
	return { version: inputs.current, source: "current" };
}

/** The device's target version name under a snapshot. */
export function targetVersionOf(
	snapshot: TargetSnapshot,
	device: TargetInputs<string>["device"],
): string | null {
	return chooseTarget<string>({
		device,
		current: snapshot.current,
		pinned: device.pinned_version,
		rollout: snapshot.rollout,
		rolloutVersion: snapshot.rollout?.version ?? null,
	}).version;
}
