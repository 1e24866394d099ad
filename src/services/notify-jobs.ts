/**
 * The units of MQTT fan-out work (SPEC §9, §13). A job carries what to compute — a model, the
 * target snapshot devices had before a change, a key range — never a list of devices or
 * payloads: whoever runs it reads the fleet and the model's state as they are then, so running a
 * job twice (a redelivered queue message) only sends the same notifications again.
 */
import type { TargetSnapshot } from "../lib/rollout-state";

export type NotifyJob =
	/** A change of the model's targets: split the fleet into batches. */
	| { kind: "fleet"; model: string; before: TargetSnapshot; current_changed: boolean }
	/**
	 * One batch: the active devices with after_key < key <= through_key (no upper end when null);
	 * the last batch of a change of the current version also retains the model's message.
	 */
	| {
			kind: "devices";
			model: string;
			before: TargetSnapshot;
			after_key: string;
			through_key: string | null;
			retain_current: boolean;
	  }
	/** One device whose own target may have changed (a pin); `before` is its former target. */
	| { kind: "device"; model: string; key: string; before: string | null }
	/** A rollout's state on `iotsupport/rollouts/<model_code>` (a halt). */
	| { kind: "rollout"; model: string; rollout_id: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const isString = (v: unknown): v is string => typeof v === "string";
const isNullableString = (v: unknown) => v === null || isString(v);

function isSnapshot(v: unknown): v is TargetSnapshot {
	if (!isObject(v) || !isNullableString(v.current)) return false;
	const r = v.rollout;
	return (
		r === null ||
		(isObject(r) &&
			isString(r.id) &&
			isString(r.version) &&
			isString(r.state) &&
			typeof r.percent === "number")
	);
}

/** A queue message's body as a job, or null when it is not one (it is then logged and dropped). */
export function parseNotifyJob(body: unknown): NotifyJob | null {
	if (!isObject(body) || !isString(body.model)) return null;
	switch (body.kind) {
		case "fleet":
			return isSnapshot(body.before) && typeof body.current_changed === "boolean"
				? (body as NotifyJob)
				: null;
		case "devices":
			return isSnapshot(body.before) &&
				isString(body.after_key) &&
				isNullableString(body.through_key) &&
				typeof body.retain_current === "boolean"
				? (body as NotifyJob)
				: null;
		case "device":
			return isString(body.key) && isNullableString(body.before) ? (body as NotifyJob) : null;
		case "rollout":
			return isString(body.rollout_id) ? (body as NotifyJob) : null;
		default:
			return null;
	}
}
