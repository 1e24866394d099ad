/** D1 statements for the ELFs kept with firmware versions (SPEC §10). */

/** A version whose bundle's ELF is stored. */
export interface VersionElf {
	model_code: string;
	version: string;
	chip: string;
	elf_sha256: string;
	elf_key: string;
	elf_size: number;
}

const COLUMNS = "model_code, version, chip, elf_sha256, elf_key, elf_size";
const HAS_ELF = "elf_key IS NOT NULL AND elf_sha256 IS NOT NULL";

/**
 * The newest version of the model whose ELF's SHA-256 starts with `prefix` (lower-case hex, as
 * a dump names it). A range on the index: hex digits sort below "g".
 */
export function findElfByPrefix(db: D1Database, model: string, prefix: string) {
	return db
		.prepare(
			`SELECT ${COLUMNS} FROM firmware_versions
       WHERE model_code = ?1 AND ${HAS_ELF} AND elf_sha256 >= ?2 AND elf_sha256 < ?2 || 'g'
       ORDER BY uploaded_at DESC LIMIT 1`,
		)
		.bind(model, prefix)
		.first<VersionElf>();
}

export function findElfByVersion(db: D1Database, model: string, version: string) {
	return db
		.prepare(
			`SELECT ${COLUMNS} FROM firmware_versions
       WHERE model_code = ?1 AND version = ?2 AND ${HAS_ELF}`,
		)
		.bind(model, version)
		.first<VersionElf>();
}

/**
 * Records a stored index of the model's ELF with this SHA-256, only while a version keeps that
 * ELF (a version delete may have run while it was built): false means nobody needs it.
 */
export async function recordElfIndex(
	db: D1Database,
	index: { model: string; elfSha256: string; key: string; size: number; builtAt: string },
): Promise<boolean> {
	const result = await db
		.prepare(
			`INSERT INTO elf_indexes (model_code, elf_sha256, index_key, size, built_at)
       SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM firmware_versions
         WHERE model_code = ?1 AND elf_sha256 = ?2 AND elf_key IS NOT NULL)
       ON CONFLICT (model_code, elf_sha256) DO UPDATE SET size = excluded.size,
         built_at = excluded.built_at`,
		)
		.bind(index.model, index.elfSha256, index.key, index.size, index.builtAt)
		.run();
	return result.meta.changes > 0;
}

/** What a bundle brings to a version uploaded as a bare image (SPEC §10, "attach"). */
export interface AttachedBundle {
	bundle_key: string;
	bundle_size: number;
	elf_key: string;
	elf_size: number;
	git_commit: string | null;
	version_json: string | null;
}

/**
 * Attaches a bundle to a `bin` version whose image is `sha256`: the format becomes `zip`, the
 * bundle and ELF are recorded, git_commit and version_json are filled where they were empty;
 * nothing else changes (not the upload time, not which version is current). False when the
 * version is no longer that bare image (replaced, deleted, or attached by another upload).
 */
export async function attachBundle(
	db: D1Database,
	model: string,
	version: string,
	sha256: string,
	bundle: AttachedBundle,
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE firmware_versions SET format = 'zip', bundle_key = ?4, bundle_size = ?5,
         elf_key = ?6, elf_size = ?7, git_commit = coalesce(git_commit, ?8),
         version_json = coalesce(version_json, ?9)
       WHERE model_code = ?1 AND version = ?2 AND sha256 = ?3 AND format = 'bin'
         AND bundle_key IS NULL`,
		)
		.bind(
			model,
			version,
			sha256,
			bundle.bundle_key,
			bundle.bundle_size,
			bundle.elf_key,
			bundle.elf_size,
			bundle.git_commit,
			bundle.version_json,
		)
		.run();
	return result.meta.changes === 1;
}

/** One claim on building the index of a model's ELF (see migrations/0005). */
export interface IndexBuildClaim {
	model: string;
	elfSha256: string;
	/** Who claims: unique per build attempt. */
	holder: string;
	nowMs: number;
	leaseMs: number;
}

/**
 * Claims the build of the ELF's index for `leaseMs`: true when nobody holds it, or the lease
 * of whoever did has run out (decided inside the statement, so two claimants never both win).
 */
export async function claimIndexBuild(db: D1Database, claim: IndexBuildClaim): Promise<boolean> {
	const result = await db
		.prepare(
			`INSERT INTO elf_index_builds (model_code, elf_sha256, holder, lease_until)
       VALUES (?1, ?2, ?3, ?4 + ?5)
       ON CONFLICT (model_code, elf_sha256) DO UPDATE SET holder = excluded.holder,
         lease_until = excluded.lease_until
       WHERE elf_index_builds.lease_until <= ?4`,
		)
		.bind(claim.model, claim.elfSha256, claim.holder, claim.nowMs, claim.leaseMs)
		.run();
	return result.meta.changes > 0;
}

/** Ends a claim, only if `holder` still holds it (a build past its lease may have lost it). */
export async function releaseIndexBuild(
	db: D1Database,
	claim: Pick<IndexBuildClaim, "model" | "elfSha256" | "holder">,
): Promise<void> {
	await db
		.prepare(
			"DELETE FROM elf_index_builds WHERE model_code = ?1 AND elf_sha256 = ?2 AND holder = ?3",
		)
		.bind(claim.model, claim.elfSha256, claim.holder)
		.run();
}
