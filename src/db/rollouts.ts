/** D1 statements for rollouts and their events (SPEC §13). */
import { OPEN_STATES_SQL, type RolloutState } from "../lib/rollout-state";

export interface RolloutRow {
	id: string;
	model_code: string;
	version: string;
	baseline_version: string | null;
	percent: number;
	state: RolloutState;
	/** JSON `[{"percent","after_minutes"}]`. */
	steps: string;
	step_index: number;
	step_started_at: string;
	/** JSON guard, or null. */
	guard: string | null;
	/** JSON reason, or null. */
	halted_reason: string | null;
	devices_targeted: number | null;
	revision: number;
	created_at: string;
	updated_at: string;
}

export interface RolloutEventRow {
	rollout_id: string;
	revision: number;
	action: string;
	actor: string;
	percent: number;
	state: RolloutState;
	details: string | null;
	at: string;
}

const COLUMNS = `id, model_code, version, baseline_version, percent, state, steps, step_index,
  step_started_at, guard, halted_reason, devices_targeted, revision, created_at, updated_at`;

/** Records the rollout's state at `revision` as an event (once: a retry adds nothing). */
function eventStatement(
	db: D1Database,
	id: string,
	revision: number,
	event: { action: string; actor: string; details: string | null },
	now: string,
) {
	return db
		.prepare(
			`INSERT OR IGNORE INTO rollout_events
         (rollout_id, revision, action, actor, percent, state, details, at)
       SELECT id, revision, ?3, ?4, percent, state, ?5, ?6 FROM rollouts
       WHERE id = ?1 AND revision = ?2`,
		)
		.bind(id, revision, event.action, event.actor, event.details, now);
}

export interface NewRollout {
	id: string;
	model: string;
	version: string;
	percent: number;
	steps: string;
	guard: string | null;
	actor: string;
	now: string;
}

/**
 * Opens a rollout from the model's current version (read in the same statement, so the
 * baseline is what was current when it opened) to a stored version that is not current.
 * "created"; "in_progress" when the model has an open rollout (the unique index decides, whatever
 * races); "refused" when the model or version is missing or the version is current.
 */
export async function insertRollout(
	db: D1Database,
	r: NewRollout,
): Promise<"created" | "in_progress" | "refused"> {
	try {
		const [inserted] = await db.batch([
			db
				.prepare(
					`INSERT INTO rollouts (id, model_code, version, baseline_version, percent, state, steps,
             step_index, step_started_at, guard, revision, created_at, updated_at)
           SELECT ?1, m.code, v.version, m.current_version, ?4, 'active', ?5, 0, ?7, ?6, 1, ?7, ?7
           FROM device_models m
           JOIN firmware_versions v ON v.model_code = m.code AND v.version = ?3
           WHERE m.code = ?2 AND m.current_version IS NOT ?3`,
				)
				.bind(r.id, r.model, r.version, r.percent, r.steps, r.guard, r.now),
			eventStatement(db, r.id, 1, { action: "start", actor: r.actor, details: null }, r.now),
		]);
		return inserted?.meta.changes === 1 ? "created" : "refused";
	} catch (err) {
		if (/UNIQUE constraint failed: rollouts\.model_code/i.test(String(err))) return "in_progress";
		throw err;
	}
}

export function getRollout(db: D1Database, model: string, id: string) {
	return db
		.prepare(`SELECT ${COLUMNS} FROM rollouts WHERE model_code = ?1 AND id = ?2`)
		.bind(model, id)
		.first<RolloutRow>();
}

export function getRolloutById(db: D1Database, id: string) {
	return db.prepare(`SELECT ${COLUMNS} FROM rollouts WHERE id = ?1`).bind(id).first<RolloutRow>();
}

export function selectOpenRollout(db: D1Database, model: string): D1PreparedStatement {
	return db
		.prepare(
			`SELECT ${COLUMNS} FROM rollouts WHERE model_code = ?1 AND state IN ${OPEN_STATES_SQL}`,
		)
		.bind(model);
}

export function getOpenRollout(db: D1Database, model: string) {
	return selectOpenRollout(db, model).first<RolloutRow>();
}

/** Newest first. */
export async function listRollouts(db: D1Database, model: string): Promise<RolloutRow[]> {
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM rollouts WHERE model_code = ?1 ORDER BY created_at DESC, id DESC`,
		)
		.bind(model)
		.all<RolloutRow>();
	return results;
}

/** Every open rollout of every model: what the scheduled run looks after. */
export async function listOpenRollouts(db: D1Database): Promise<RolloutRow[]> {
	const { results } = await db
		.prepare(`SELECT ${COLUMNS} FROM rollouts WHERE state IN ${OPEN_STATES_SQL} ORDER BY id`)
		.all<RolloutRow>();
	return results;
}

export async function listRolloutEvents(db: D1Database, id: string): Promise<RolloutEventRow[]> {
	const { results } = await db
		.prepare(
			`SELECT rollout_id, revision, action, actor, percent, state, details, at
       FROM rollout_events WHERE rollout_id = ?1 ORDER BY revision`,
		)
		.bind(id)
		.all<RolloutEventRow>();
	return results;
}

export function getRolloutEvent(db: D1Database, id: string, revision: number) {
	return db
		.prepare(
			`SELECT rollout_id, revision, action, actor, percent, state, details, at
       FROM rollout_events WHERE rollout_id = ?1 AND revision = ?2`,
		)
		.bind(id, revision)
		.first<RolloutEventRow>();
}

/** The columns a change may set. */
export interface RolloutFields {
	percent?: number;
	state?: RolloutState;
	step_index?: number;
	step_started_at?: string;
	halted_reason?: string | null;
	devices_targeted?: number | null;
	guard?: string | null;
}

export interface RolloutChange {
	id: string;
	model: string;
	/** The revision the change was decided on; it applies only while the row is still there. */
	expectedRevision: number;
	set: RolloutFields;
	event: { action: string; actor: string; details: string | null };
	/** Makes this version the model's current one in the same transaction (complete). */
	makeCurrent?: string;
	now: string;
}

const FIELDS: readonly (keyof RolloutFields)[] = [
	"percent",
	"state",
	"step_index",
	"step_started_at",
	"halted_reason",
	"devices_targeted",
	"guard",
];

/**
 * Applies a change decided on `expectedRevision`, with its event, as one transaction; false
 * when the rollout moved on meanwhile (another operator, the scheduled run, the guard) or is
 * gone: then nothing was written and the caller decides again on fresh state. With
 * `makeCurrent`, the model's current version changes in the same transaction, under the same
 * condition, so a completed rollout and the new current version never exist one without the
 * other.
 */
export async function changeRollout(db: D1Database, change: RolloutChange): Promise<boolean> {
	const fields = FIELDS.filter((f) => change.set[f] !== undefined);
	const assignments = fields.map((f, i) => `${f} = ?${i + 4}`);
	const values = fields.map((f) => change.set[f] ?? null);
	const statements: D1PreparedStatement[] = [];
	if (change.makeCurrent !== undefined) {
		statements.push(
			db
				.prepare(
					`UPDATE device_models SET current_version = ?2, updated_at = ?5
           WHERE code = ?1 AND EXISTS (SELECT 1 FROM rollouts WHERE id = ?3 AND revision = ?4)`,
				)
				.bind(change.model, change.makeCurrent, change.id, change.expectedRevision, change.now),
		);
	}
	statements.push(
		db
			.prepare(
				`UPDATE rollouts SET ${[...assignments, "revision = revision + 1", "updated_at = ?3"].join(", ")}
         WHERE id = ?1 AND revision = ?2`,
			)
			.bind(change.id, change.expectedRevision, change.now, ...values),
		eventStatement(db, change.id, change.expectedRevision + 1, change.event, change.now),
	);
	const results = await db.batch(statements);
	const update = results[change.makeCurrent !== undefined ? 1 : 0];
	return update?.meta.changes === 1;
}
