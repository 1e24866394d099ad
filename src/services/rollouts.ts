/** Starting and reading rollouts (SPEC §13). Changes to an open one are in rollout-changes.ts. */
import { getModel } from "../db/device-models";
import { getVersion } from "../db/firmware-versions";
import {
	getOpenRollout,
	getRollout,
	insertRollout,
	listRolloutEvents,
	listRollouts,
	type RolloutRow,
} from "../db/rollouts";
import { nowIso } from "../db/time";
import type { Env } from "../env";
import { type AppError, Conflict, NotFound } from "../errors";
import type { CrashGuard } from "../lib/crash-guard";
import type { RolloutStep } from "../lib/rollout-steps";
import { modelNotFound } from "./device-models";
import { notifyAfterCommit } from "./notify-dispatch";
import {
	type RolloutEventView,
	type RolloutView,
	toEventView,
	toRolloutView,
} from "./rollout-view";

export interface StartRollout {
	version: string;
	percent: number;
	steps?: RolloutStep[];
	guard?: CrashGuard | null;
}

/** 64 random bits, as hex: a rollout's id (and the seed of its membership hash). */
export function newRolloutId(): string {
	return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
		b.toString(16).padStart(2, "0"),
	).join("");
}

export function rolloutInProgress(model: string, open: RolloutRow | null): Conflict {
	return new Conflict(
		"ROLLOUT_IN_PROGRESS",
		`Model '${model}' has a rollout in progress${open ? ` (to ${open.version}, ${open.state})` : ""}; complete or abort it first.`,
		{ code: model, rollout_id: open?.id ?? null, version: open?.version ?? null },
	);
}

export function versionInRollout(model: string, version: string): Conflict {
	return new Conflict(
		"VERSION_IN_ROLLOUT",
		`Version '${version}' of '${model}' is part of the open rollout; complete or abort it first.`,
		{ code: model, version },
	);
}

export function rolloutNotFound(model: string): NotFound {
	return new NotFound("ROLLOUT_NOT_FOUND", `Model '${model}' has no rollout in progress.`, {
		code: model,
	});
}

/**
 * Opens a rollout from the current version to a stored one, reaching `percent` of the devices
 * at once; then tells exactly the devices it reaches.
 */
export async function startRollout(
	env: Env,
	model: string,
	input: StartRollout,
	actor: string,
	defer: (work: Promise<unknown>) => void,
): Promise<RolloutView> {
	const now = nowIso();
	const id = newRolloutId();
	const outcome = await insertRollout(env.DB, {
		id,
		model,
		version: input.version,
		percent: input.percent,
		steps: JSON.stringify(input.steps ?? []),
		guard: input.guard ? JSON.stringify(input.guard) : null,
		actor,
		now,
	});
	if (outcome === "in_progress")
		throw rolloutInProgress(model, await getOpenRollout(env.DB, model));
	if (outcome === "refused") throw await whyRefused(env.DB, model, input.version);
	const row = await getRollout(env.DB, model, id);
	if (!row) throw rolloutNotFound(model);
	notifyAfterCommit(
		env,
		[
			{
				kind: "fleet",
				model,
				before: { current: row.baseline_version, rollout: null },
				current_changed: false,
			},
		],
		defer,
	);
	return toRolloutView(env.DB, row);
}

async function whyRefused(db: D1Database, model: string, version: string): Promise<AppError> {
	const found = await getModel(db, model);
	if (!found) return modelNotFound(model);
	if (!(await getVersion(db, model, version))) {
		return new NotFound(
			"VERSION_NOT_FOUND",
			`Model '${model}' has no firmware version '${version}'.`,
			{ code: model, version },
		);
	}
	return new Conflict(
		"ROLLOUT_TARGET_IS_CURRENT",
		`Version '${version}' is already the current firmware of '${model}'.`,
		{ code: model, version },
	);
}

/** The model's rollouts, newest first. */
export async function rolloutHistory(db: D1Database, model: string): Promise<RolloutView[]> {
	const rows = await listRollouts(db, model);
	if (rows.length === 0 && !(await getModel(db, model))) throw modelNotFound(model);
	return Promise.all(rows.map((row) => toRolloutView(db, row)));
}

/** The model's open rollout; 404 ROLLOUT_NOT_FOUND when there is none. */
export async function openRolloutOrThrow(db: D1Database, model: string): Promise<RolloutRow> {
	const row = await getOpenRollout(db, model);
	if (row) return row;
	if (!(await getModel(db, model))) throw modelNotFound(model);
	throw rolloutNotFound(model);
}

export async function currentRollout(db: D1Database, model: string): Promise<RolloutView> {
	return toRolloutView(db, await openRolloutOrThrow(db, model));
}

/** Every change of one rollout, oldest first. */
export async function rolloutEvents(
	db: D1Database,
	model: string,
	id: string,
): Promise<RolloutEventView[]> {
	const row = await getRollout(db, model, id);
	if (!row) {
		if (!(await getModel(db, model))) throw modelNotFound(model);
		throw new NotFound("ROLLOUT_NOT_FOUND", `Model '${model}' has no rollout '${id}'.`, {
			code: model,
			rollout_id: id,
		});
	}
	return (await listRolloutEvents(db, id)).map(toEventView);
}
