import {
	activateVersion,
	getCurrentVersion,
	pruneVersions,
	type VersionRow,
} from "../db/firmware-versions";
import { nowIso } from "../db/time";
import type { Env } from "../env";
import { deleteKeys } from "../storage/objects";
import { notifyFirmwareChange } from "./firmware-notifications";

/** Makes a stored version current unless it already is; true when the current one changed. */
export async function activateIfNotCurrent(db: D1Database, row: VersionRow): Promise<boolean> {
	const current = await getCurrentVersion(db, row.model_code);
	if (current?.version === row.version && current.sha256 === row.sha256) return false;
	return activateVersion(db, row.model_code, row.version, row.sha256, nowIso());
}

/** Tells the model's devices, after D1 has committed and without delaying the answer. */
export function notifyCurrent(
	env: Env,
	row: VersionRow,
	defer: (work: Promise<unknown>) => void,
): void {
	defer(
		notifyFirmwareChange(env, {
			modelCode: row.model_code,
			firmwareVersion: row.version,
			sha256: row.sha256,
			size: row.size,
		}),
	);
}

/**
 * Retention after an upload: rows first (one statement that never touches the current
 * version), then their objects. A failure here is logged, never fails the upload, and is
 * repaired by the next upload's pass.
 */
export async function pruneVersionsOf(env: Env, model: string, keep: number): Promise<void> {
	try {
		const removed = await pruneVersions(env.DB, model, keep);
		const keys = removed.flatMap((r) => [r.image_key, r.bundle_key]).filter((k) => k !== null);
		await deleteKeys(env.BLOBS, keys);
	} catch (err) {
		console.error(JSON.stringify({ msg: "firmware retention failed", model, error: String(err) }));
	}
}
