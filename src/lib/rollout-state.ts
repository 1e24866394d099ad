/** A rollout's states (SPEC §13). Open ones hold the model; closed ones are history. */
export const ROLLOUT_STATES = ["active", "paused", "halted", "completed", "aborted"] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const OPEN_STATES: readonly RolloutState[] = ["active", "paused", "halted"];
/** The SQL list of the open states, for `state IN (…)`. */
export const OPEN_STATES_SQL = "('active', 'paused', 'halted')";

export const isOpen = (state: RolloutState): boolean => OPEN_STATES.includes(state);

/** What the target rule needs of a rollout. */
export interface RolloutForTarget {
	id: string;
	version: string;
	state: RolloutState;
	percent: number;
}

/** What decides every device's target of one model, by version name: small enough for a queue message. */
export interface TargetSnapshot {
	current: string | null;
	rollout: RolloutForTarget | null;
}
