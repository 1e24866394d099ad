import {
	activateVersion,
	getCurrentVersion,
	pruneVersions,
	type VersionRow,
} from "../db/firmware-versions";
import { nowIso } from "../db/time";
import type { Env } from "../env";
import { notifyAfterCommit } from "./notify-dispatch";
import { removeVersionObjects } from "./version-objects";

/**
 * Makes a stored version current unless it already is; true when the current one changed.
 * D1's answer can be lost after the update was applied: then the current version is read back,
 * so the change is still reported (and devices still told) instead of failing the request.
 */
export async function activateIfNotCurrent(db: D1Database, row: VersionRow): Promise<boolean> {
	const isRow = (v: VersionRow | null) => v?.version === row.version && v.sha256 === row.sha256;
	if (isRow(await getCurrentVersion(db, row.model_code))) return false;
	try {
		return await activateVersion(db, row.model_code, row.version, row.sha256, nowIso());
	} catch (err) {
		if (isRow(await getCurrentVersion(db, row.model_code).catch(() => null))) return true;
		throw err;
	}
}

/**
 * Tells the model's devices that its current version changed, after D1 has committed and
 * without delaying the answer: every device whose target is the current version (not pinned,
 * and no rollout is open while the current version changes), and the retained model message.
 */
export function notifyCurrent(
	env: Env,
	row: VersionRow,
	defer: (work: Promise<unknown>) => void,
): void {
	notifyAfterCommit(
		env,
		[
			{
				kind: "fleet",
				model: row.model_code,
				before: { current: null, rollout: null },
				current_changed: true,
			},
		],
		defer,
	);
}

/**
 * Retention after an upload: rows first (one statement that never touches the current
 * version), then their objects. A failure here is logged, never fails the upload, and is
 * repaired by the next upload's pass.
 */
export async function pruneVersionsOf(env: Env, model: string, keep: number): Promise<void> {
	try {
		await removeVersionObjects(env, await pruneVersions(env.DB, model, keep));
	} catch (err) {
		console.error(JSON.stringify({ msg: "firmware retention failed", model, error: String(err) }));
	}
}
