/** D1 statements for firmware versions and a model's current version. */
import { OPEN_STATES_SQL } from "../lib/rollout-state";

/** True (in SQL) while model ?1 has an open rollout: its current version must not change. */
const ROLLOUT_OPEN = `EXISTS (SELECT 1 FROM rollouts
  WHERE model_code = ?1 AND state IN ${OPEN_STATES_SQL})`;
/** True while version ?2 of model ?1 is the target or baseline of an open rollout. */
const IN_OPEN_ROLLOUT = `EXISTS (SELECT 1 FROM rollouts
  WHERE model_code = ?1 AND state IN ${OPEN_STATES_SQL} AND (version = ?2 OR baseline_version = ?2))`;
/** True while a device of model ?1 is pinned to version ?2. */
const PINNED = "EXISTS (SELECT 1 FROM devices WHERE model_code = ?1 AND pinned_version = ?2)";

import type { D1Reader } from "./reader";

export interface VersionRow {
	model_code: string;
	version: string;
	format: "zip" | "bin";
	sha256: string;
	partition_sha256: string;
	size: number;
	chip: string;
	project_name: string;
	idf_version: string;
	secure_version: number;
	elf_sha256: string | null;
	git_commit: string | null;
	version_json: string | null;
	image_key: string;
	bundle_key: string | null;
	bundle_size: number | null;
	uploaded_at: string;
	/** The bundle's ELF, kept for crash analysis (null for bare-image versions). */
	elf_key: string | null;
	elf_size: number | null;
}

export type VersionWithCurrent = VersionRow & { current: number };

/**
 * What serving a version's image to a device needs: its identity, hashes, size and object keys.
 * Device-path caches hold this, never the whole row (whose `version_json` may be 64 KiB).
 */
export type ServedVersion = Pick<
	VersionRow,
	"model_code" | "version" | "sha256" | "partition_sha256" | "size" | "image_key" | "bundle_key"
>;

/** The columns of a ServedVersion, in the order of its fields. */
export const SERVED_COLUMNS = [
	"model_code",
	"version",
	"sha256",
	"partition_sha256",
	"size",
	"image_key",
	"bundle_key",
] as const;

export const VERSION_COLUMNS = `model_code, version, format, sha256, partition_sha256, size, chip, project_name,
  idf_version, secure_version, elf_sha256, git_commit, version_json, image_key, bundle_key,
  bundle_size, uploaded_at, elf_key, elf_size`;
const COLUMNS = VERSION_COLUMNS;

export function getVersion(db: D1Database, model: string, version: string) {
	return db
		.prepare(`SELECT ${COLUMNS} FROM firmware_versions WHERE model_code = ?1 AND version = ?2`)
		.bind(model, version)
		.first<VersionRow>();
}

export function selectCurrentVersion(db: D1Database, model: string): D1PreparedStatement {
	return db
		.prepare(
			`SELECT ${COLUMNS.replace(/(\w+)/g, "v.$1")} FROM device_models m
       JOIN firmware_versions v ON v.model_code = m.code AND v.version = m.current_version
       WHERE m.code = ?1`,
		)
		.bind(model);
}

export function getCurrentVersion(db: D1Database, model: string) {
	return selectCurrentVersion(db, model).first<VersionRow>();
}

/** The newest stored version of the model whose image has this SHA-256. */
export function getVersionBySha256(db: D1Database, model: string, sha256: string) {
	return db
		.prepare(
			`SELECT ${COLUMNS} FROM firmware_versions WHERE model_code = ?1 AND sha256 = ?2
       ORDER BY uploaded_at DESC LIMIT 1`,
		)
		.bind(model, sha256)
		.first<VersionRow>();
}

/** The newest stored version of the model with this image SHA-256, as a device is served it. */
export function getServedVersionBySha256(db: D1Reader, model: string, sha256: string) {
	return db
		.prepare(
			`SELECT ${SERVED_COLUMNS.join(", ")} FROM firmware_versions
       WHERE model_code = ?1 AND sha256 = ?2 ORDER BY uploaded_at DESC LIMIT 1`,
		)
		.bind(model, sha256)
		.first<ServedVersion>();
}

/** Newest first, each flagged whether it is the model's current version. */
export async function listVersions(db: D1Database, model: string): Promise<VersionWithCurrent[]> {
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS.replace(/(\w+)/g, "v.$1")},
         (v.version IS m.current_version) AS current
       FROM firmware_versions v JOIN device_models m ON m.code = v.model_code
       WHERE v.model_code = ?1 ORDER BY v.uploaded_at DESC, v.version DESC`,
		)
		.bind(model)
		.all<VersionWithCurrent>();
	return results;
}

/**
 * Stores a version and (unless `activate` is false) makes it current, atomically.
 * `expectedSha256` is the image hash of the row being replaced (null for a new version): when
 * another upload changed the row in the meantime nothing is written and `committed` is false,
 * so the caller can decide again with fresh state instead of orphaning the other upload's
 * objects. Nothing is written either while a rollout is open and the upload would make a
 * version current, or would replace the bytes of a version the rollout moves devices to or
 * from. A replaced version's ELF index that no version needs any more is dropped in the same
 * batch (its key is returned).
 */
export async function commitVersion(
	db: D1Database,
	row: VersionRow,
	expectedSha256: string | null,
	now: string,
	activate = true,
): Promise<{ committed: boolean; droppedIndexKeys: string[] }> {
	const values = COLUMNS.split(",").map((_, i) => `?${i + 1}`);
	const binds = [
		row.model_code,
		row.version,
		row.format,
		row.sha256,
		row.partition_sha256,
		row.size,
		row.chip,
		row.project_name,
		row.idf_version,
		row.secure_version,
		row.elf_sha256,
		row.git_commit,
		row.version_json,
		row.image_key,
		row.bundle_key,
		row.bundle_size,
		row.uploaded_at,
		row.elf_key,
		row.elf_size,
	];
	const updates = COLUMNS.split(",")
		.map((c) => c.trim())
		.filter((c) => c !== "model_code" && c !== "version")
		.map((c) => `${c} = excluded.${c}`)
		.join(", ");
	// (The WHERE also keeps SQLite from reading ON CONFLICT as a join constraint.)
	const allowed = `WHERE NOT ${activate ? ROLLOUT_OPEN : IN_OPEN_ROLLOUT}`;
	const upsert =
		expectedSha256 === null
			? db
					.prepare(
						`INSERT INTO firmware_versions (${COLUMNS}) SELECT ${values.join(", ")} ${allowed}
             ON CONFLICT (model_code, version) DO NOTHING`,
					)
					.bind(...binds)
			: db
					.prepare(
						`INSERT INTO firmware_versions (${COLUMNS}) SELECT ${values.join(", ")} ${allowed}
             ON CONFLICT (model_code, version) DO UPDATE SET ${updates}
             WHERE firmware_versions.sha256 = ?${binds.length + 1}`,
					)
					.bind(...binds, expectedSha256);
	const statements = [upsert];
	if (activate) {
		statements.push(makeCurrentStatement(db, row.model_code, row.version, row.sha256, now));
	}
	statements.push(dropUnkeptElfIndexes(db, row.model_code));
	const results = await db.batch(statements);
	return {
		committed: (results[0]?.meta.changes ?? 0) > 0,
		droppedIndexKeys: indexKeysOf(results.at(-1)),
	};
}

/**
 * Forgets the model's ELF indexes that no version keeps the ELF of any more, returning their
 * object keys to remove. Part of every batch that removes or replaces versions, so an index
 * goes with the last version that needed it and no extra round trip is paid for it.
 */
function dropUnkeptElfIndexes(db: D1Database, model: string): D1PreparedStatement {
	return db
		.prepare(
			`DELETE FROM elf_indexes WHERE model_code = ?1 AND NOT EXISTS (
         SELECT 1 FROM firmware_versions v WHERE v.model_code = ?1
           AND v.elf_sha256 = elf_indexes.elf_sha256 AND v.elf_key IS NOT NULL)
       RETURNING index_key`,
		)
		.bind(model);
}

const indexKeysOf = (result: D1Result | undefined): string[] =>
	((result?.results ?? []) as { index_key: string }[]).map((r) => r.index_key);

/** What a removal took from D1: the version rows, and the ELF indexes no longer needed. */
export interface RemovedVersions {
	rows: VersionRow[];
	droppedIndexKeys: string[];
}

/**
 * Sets the current version, only if that version (with that image) is stored and no rollout
 * is open (a rollout holds the model's current version until it completes or is aborted).
 */
function makeCurrentStatement(
	db: D1Database,
	model: string,
	version: string,
	sha256: string,
	now: string,
) {
	return db
		.prepare(
			`UPDATE device_models SET current_version = ?2, updated_at = ?4
       WHERE code = ?1 AND EXISTS (SELECT 1 FROM firmware_versions
         WHERE model_code = ?1 AND version = ?2 AND sha256 = ?3) AND NOT ${ROLLOUT_OPEN}`,
		)
		.bind(model, version, sha256, now);
}

/** Makes a stored version current; false when that version (with that image) is gone. */
export async function activateVersion(
	db: D1Database,
	model: string,
	version: string,
	sha256: string,
	now: string,
): Promise<boolean> {
	const result = await makeCurrentStatement(db, model, version, sha256, now).run();
	return result.meta.changes === 1;
}

/**
 * Deletes a version nothing needs: not current, not in an open rollout, no device pinned to
 * it — decided in the one statement, so a rollout or a pin that races the delete either sees
 * the version gone or keeps it. Returns its row (and the ELF indexes no version needs any
 * more), or null when it is gone or needed.
 */
export async function deleteVersionIfUnused(
	db: D1Database,
	model: string,
	version: string,
): Promise<RemovedVersions | null> {
	const [deleted, dropped] = await db.batch([
		db
			.prepare(
				`DELETE FROM firmware_versions WHERE model_code = ?1 AND version = ?2
           AND version IS NOT (SELECT current_version FROM device_models WHERE code = ?1)
           AND NOT ${IN_OPEN_ROLLOUT} AND NOT ${PINNED}
         RETURNING ${COLUMNS}`,
			)
			.bind(model, version),
		dropUnkeptElfIndexes(db, model),
	]);
	const rows = (deleted?.results ?? []) as VersionRow[];
	return rows.length > 0 ? { rows, droppedIndexKeys: indexKeysOf(dropped) } : null;
}

/**
 * Retention: keeps the current version and the `keep - 1` newest others; deletes the rest in
 * one statement and returns their rows so their objects can be removed after. Versions of an
 * open rollout and versions devices are pinned to are kept beyond the count.
 */
export async function pruneVersions(
	db: D1Database,
	model: string,
	keep: number,
): Promise<RemovedVersions> {
	const [deleted, dropped] = await db.batch([
		db
			.prepare(
				`DELETE FROM firmware_versions WHERE model_code = ?1 AND version IN (
           SELECT version FROM firmware_versions
           WHERE model_code = ?1
             AND version IS NOT (SELECT current_version FROM device_models WHERE code = ?1)
           ORDER BY uploaded_at DESC, version DESC LIMIT -1 OFFSET ?2)
           AND NOT EXISTS (SELECT 1 FROM rollouts r WHERE r.model_code = ?1
             AND r.state IN ${OPEN_STATES_SQL}
             AND (r.version = firmware_versions.version OR r.baseline_version = firmware_versions.version))
           AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.model_code = ?1
             AND d.pinned_version = firmware_versions.version)
         RETURNING ${COLUMNS}`,
			)
			.bind(model, Math.max(keep - 1, 0)),
		dropUnkeptElfIndexes(db, model),
	]);
	return { rows: (deleted?.results ?? []) as VersionRow[], droppedIndexKeys: indexKeysOf(dropped) };
}
