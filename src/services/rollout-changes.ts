/**
 * Changing an open rollout (SPEC §13): percentage, pause, resume, complete, abort, and the
 * changes the scheduled run and the crash guard make. Every change is decided on the rollout as
 * read and applied only to that revision (src/db/rollouts.ts), so two operators at once, or an
 * operator and the guard, each see the other's change and decide again; the loser of a race
 * never overwrites the winner.
 */
import { countTargeted } from "../db/rollout-figures";
import {
	changeRollout,
	getOpenRollout,
	getRolloutById,
	getRolloutEvent,
	type RolloutFields,
	type RolloutRow,
} from "../db/rollouts";
import { nowIso } from "../db/time";
import type { Env } from "../env";
import { type AppError, Conflict } from "../errors";
import type { CrashGuard } from "../lib/crash-guard";
import { notifyAfterCommit } from "./notify-dispatch";
import type { NotifyJob } from "./notify-jobs";
import { type RolloutView, snapshotOf, toRolloutView } from "./rollout-view";
import { openRolloutOrThrow } from "./rollouts";

export interface Decision {
	action: string;
	set: RolloutFields;
	/** The version that becomes current with this change (complete). */
	makeCurrent?: string;
	details?: Record<string, unknown> | null;
	/** Devices' targets may change: tell the ones whose did. */
	notify: boolean;
	/** Announce the rollout's new state on its MQTT topic (a halt). */
	announce?: boolean;
}

type Defer = (work: Promise<unknown>) => void;
const MAX_ATTEMPTS = 5;

/** Whether a change that closes the rollout. */
const closes = (d: Decision) => d.set.state === "completed" || d.set.state === "aborted";

/**
 * Reads the rollout, asks `decide` what to change (null: nothing to do; it may throw a refusal),
 * applies that to the revision read, and on a lost race reads again. Returns the rollout after
 * the change, or null when `pick` found nothing to change.
 */
export async function applyDecision(
	env: Env,
	pick: () => Promise<RolloutRow | null>,
	decide: (row: RolloutRow) => Decision | null,
	actor: string,
	defer: Defer,
): Promise<{ row: RolloutRow; changed: boolean } | null> {
	for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		const row = await pick();
		if (!row) return null;
		const decision = decide(row);
		if (!decision) return { row, changed: false };
		const set = closes(decision)
			? { ...decision.set, devices_targeted: await countTargeted(env.DB, row) }
			: decision.set;
		const event = {
			action: decision.action,
			actor,
			details: decision.details ? JSON.stringify(decision.details) : null,
		};
		const change = {
			id: row.id,
			model: row.model_code,
			expectedRevision: row.revision,
			set,
			event,
			makeCurrent: decision.makeCurrent,
			now: nowIso(),
		};
		if (!(await applied(env.DB, change))) continue;
		const after = (await getRolloutById(env.DB, row.id)) ?? row;
		followUp(env, row, decision, defer);
		return { row: after, changed: true };
	}
	throw new Conflict(
		"ROLLOUT_CONFLICT",
		"Other changes to this rollout kept winning; read it again and retry.",
	);
}

/**
 * Applies the change; when D1's answer is lost, the event written with it tells whether it
 * was applied (the same action by the same actor at the next revision).
 */
async function applied(db: D1Database, change: Parameters<typeof changeRollout>[1]) {
	try {
		return await changeRollout(db, change);
	} catch (err) {
		const event = await getRolloutEvent(db, change.id, change.expectedRevision + 1).catch(
			() => null,
		);
		if (event?.action === change.event.action && event.actor === change.event.actor) return true;
		throw err;
	}
}

function followUp(env: Env, before: RolloutRow, decision: Decision, defer: Defer): void {
	const jobs: NotifyJob[] = [];
	if (decision.notify) {
		jobs.push({
			kind: "fleet",
			model: before.model_code,
			before: snapshotOf(before),
			current_changed: decision.makeCurrent !== undefined,
		});
	}
	if (decision.announce) {
		jobs.push({ kind: "rollout", model: before.model_code, rollout_id: before.id });
	}
	notifyAfterCommit(env, jobs, defer);
}

function stateInvalid(row: RolloutRow, what: string): AppError {
	return new Conflict("ROLLOUT_STATE_INVALID", `The rollout is ${row.state}: ${what}.`, {
		rollout_id: row.id,
		state: row.state,
	});
}

/** An operator's change to the model's open rollout; answers the rollout as it is after it. */
async function operatorChange(
	env: Env,
	model: string,
	actor: string,
	defer: Defer,
	decide: (row: RolloutRow) => Decision | null,
): Promise<RolloutView> {
	await openRolloutOrThrow(env.DB, model);
	const outcome = await applyDecision(
		env,
		() => getOpenRollout(env.DB, model),
		decide,
		actor,
		defer,
	);
	// Closed meanwhile (another operator completed or aborted it): nothing open to change.
	if (!outcome) return toRolloutView(env.DB, await openRolloutOrThrow(env.DB, model));
	return toRolloutView(env.DB, outcome.row);
}

export function setRolloutPercent(
	env: Env,
	model: string,
	input: { percent?: number; guard?: CrashGuard | null },
	actor: string,
	defer: Defer,
): Promise<RolloutView> {
	return operatorChange(env, model, actor, defer, (row) => {
		if (row.state === "halted") {
			throw stateInvalid(row, "resume or abort it before changing its percentage");
		}
		const percent = input.percent ?? row.percent;
		const guard =
			input.guard === undefined ? row.guard : input.guard && JSON.stringify(input.guard);
		if (percent === row.percent && guard === row.guard) return null;
		return {
			action: "percent",
			set: { percent, ...(guard !== row.guard ? { guard } : {}) },
			details: { from: row.percent, to: percent },
			notify: percent !== row.percent,
		};
	});
}

export function pauseRollout(env: Env, model: string, actor: string, defer: Defer) {
	return operatorChange(env, model, actor, defer, (row) => {
		if (row.state === "paused") return null;
		if (row.state === "halted") throw stateInvalid(row, "resume or abort it instead");
		// Paused devices keep what they were given; only the steps wait.
		return { action: "pause", set: { state: "paused" }, notify: false };
	});
}

export function resumeRollout(env: Env, model: string, actor: string, defer: Defer) {
	return operatorChange(env, model, actor, defer, (row) => {
		if (row.state === "active") return null;
		// The next step's wait starts again; a halted rollout's devices get the target again.
		return {
			action: "resume",
			set: { state: "active", step_started_at: nowIso(), halted_reason: null },
			notify: row.state === "halted",
		};
	});
}

export function completeRollout(env: Env, model: string, actor: string, defer: Defer) {
	return operatorChange(env, model, actor, defer, (row) => ({
		action: "complete",
		set: { state: "completed" },
		makeCurrent: row.version,
		notify: true,
	}));
}

export function abortRollout(env: Env, model: string, actor: string, defer: Defer) {
	return operatorChange(env, model, actor, defer, () => ({
		action: "abort",
		set: { state: "aborted" },
		notify: true,
	}));
}
