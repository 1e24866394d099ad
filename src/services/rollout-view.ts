/** A rollout as the API shows it (SPEC §13), from its row. */
import { countTargeted } from "../db/rollout-figures";
import type { RolloutEventRow, RolloutRow } from "../db/rollouts";
import type { CrashGuard, HaltReason } from "../lib/crash-guard";
import { isOpen, type RolloutState, type TargetSnapshot } from "../lib/rollout-state";
import type { RolloutStep } from "../lib/rollout-steps";

export interface RolloutView {
	id: string;
	version: string;
	baseline_version: string | null;
	percent: number;
	state: RolloutState;
	steps: RolloutStep[];
	guard: CrashGuard | null;
	halted_reason: HaltReason | null;
	devices_targeted: number;
	created_at: string;
	updated_at: string;
}

export interface RolloutEventView {
	revision: number;
	action: string;
	actor: string;
	percent: number;
	state: RolloutState;
	details: Record<string, unknown> | null;
	at: string;
}

const parse = <T>(json: string | null): T | null =>
	json === null ? null : (JSON.parse(json) as T);

export const rolloutSteps = (row: RolloutRow): RolloutStep[] =>
	parse<RolloutStep[]>(row.steps) ?? [];
export const rolloutGuard = (row: RolloutRow): CrashGuard | null => parse<CrashGuard>(row.guard);

/**
 * An open rollout's `devices_targeted` is counted now (devices come and go); a closed one's is
 * what it served when it closed.
 */
export async function toRolloutView(db: D1Database, row: RolloutRow): Promise<RolloutView> {
	const targeted = isOpen(row.state) ? await countTargeted(db, row) : (row.devices_targeted ?? 0);
	return {
		id: row.id,
		version: row.version,
		baseline_version: row.baseline_version,
		percent: row.percent,
		state: row.state,
		steps: rolloutSteps(row),
		guard: rolloutGuard(row),
		halted_reason: parse<HaltReason>(row.halted_reason),
		devices_targeted: targeted,
		created_at: row.created_at,
		updated_at: row.updated_at,
	};
}

export function toEventView(row: RolloutEventRow): RolloutEventView {
	return {
		revision: row.revision,
		action: row.action,
		actor: row.actor,
		percent: row.percent,
		state: row.state,
		details: parse<Record<string, unknown>>(row.details),
		at: row.at,
	};
}

/**
 * What decided every device's target while this open rollout stood: its baseline is the
 * model's current version for as long as it is open (nothing else can change that meanwhile).
 */
export function snapshotOf(row: RolloutRow): TargetSnapshot {
	return {
		current: row.baseline_version,
		rollout: { id: row.id, version: row.version, state: row.state, percent: row.percent },
	};
}
