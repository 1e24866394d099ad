/** D1 statements for firmware versions and a model's current version. */
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

const COLUMNS = `model_code, version, format, sha256, partition_sha256, size, chip, project_name,
  idf_version, secure_version, elf_sha256, git_commit, version_json, image_key, bundle_key,
  bundle_size, uploaded_at`;

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
 * Stores a version and makes it current, atomically. `expectedSha256` is the image hash of the
 * row being replaced (null for a new version): when another upload changed the row in the
 * meantime nothing is written and false is returned, so the caller can decide again with
 * fresh state instead of orphaning the other upload's objects.
 */
export async function commitVersion(
	db: D1Database,
	row: VersionRow,
	expectedSha256: string | null,
	now: string,
): Promise<boolean> {
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
	];
	const updates = COLUMNS.split(",")
		.map((c) => c.trim())
		.filter((c) => c !== "model_code" && c !== "version")
		.map((c) => `${c} = excluded.${c}`)
		.join(", ");
	const upsert =
		expectedSha256 === null
			? db
					.prepare(
						`INSERT INTO firmware_versions (${COLUMNS}) VALUES (${values.join(", ")})
             ON CONFLICT (model_code, version) DO NOTHING`,
					)
					.bind(...binds)
			: db
					.prepare(
						`INSERT INTO firmware_versions (${COLUMNS}) VALUES (${values.join(", ")})
             ON CONFLICT (model_code, version) DO UPDATE SET ${updates}
             WHERE firmware_versions.sha256 = ?18`,
					)
					.bind(...binds, expectedSha256);
	const [written] = await db.batch([
		upsert,
		makeCurrentStatement(db, row.model_code, row.version, row.sha256, now),
	]);
	return (written?.meta.changes ?? 0) > 0;
}

/** Sets the current version, only if that version (with that image) is stored. */
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
         WHERE model_code = ?1 AND version = ?2 AND sha256 = ?3)`,
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

/** Deletes a non-current version; returns its row, or null when it is gone or current. */
export function deleteVersionIfNotCurrent(db: D1Database, model: string, version: string) {
	return db
		.prepare(
			`DELETE FROM firmware_versions WHERE model_code = ?1 AND version = ?2
         AND version IS NOT (SELECT current_version FROM device_models WHERE code = ?1)
       RETURNING ${COLUMNS}`,
		)
		.bind(model, version)
		.first<VersionRow>();
}

/**
 * Retention: keeps the current version and the `keep - 1` newest others; deletes the rest in
 * one statement and returns their rows so their objects can be removed after.
 */
export async function pruneVersions(
	db: D1Database,
	model: string,
	keep: number,
): Promise<VersionRow[]> {
	const { results } = await db
		.prepare(
			`DELETE FROM firmware_versions WHERE model_code = ?1 AND version IN (
         SELECT version FROM firmware_versions
         WHERE model_code = ?1
           AND version IS NOT (SELECT current_version FROM device_models WHERE code = ?1)
         ORDER BY uploaded_at DESC, version DESC LIMIT -1 OFFSET ?2)
       RETURNING ${COLUMNS}`,
		)
		.bind(model, Math.max(keep - 1, 0))
		.all<VersionRow>();
	return results;
}
