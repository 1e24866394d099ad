/**
 * What "nothing lost" means, checked from storage itself (SPEC §6.3 and §7): the bucket is
 * listed and the tables are queried directly, never through the API under test.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { bucketKeys } from "../helpers/fleet";

async function sha256Of(bytes: ArrayBuffer): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
	return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface StoredVersion {
	version: string;
	sha256: string;
	image_key: string;
	bundle_key: string | null;
	bundle_size: number | null;
	elf_key: string | null;
	elf_size: number | null;
}

export interface FirmwareState {
	/** The model's current version, or null (also when the model is gone). */
	current: string | null;
	/** Stored versions, by name. */
	versions: string[];
	/** Stored versions as `<version>:<image sha256>`, to tell a replaced version apart. */
	images: string[];
	/** Objects the rows reference (images and bundles). */
	referenced: string[];
	/** Objects under `firmware/<model>/` and `staging/<model>/` that no row references. */
	unreferenced: string[];
	modelExists: boolean;
}

/**
 * Checks the firmware invariants of one model and returns its state:
 * - every version row's image (and bundle and ELF) exists, and the image object holds the bytes whose
 *   SHA-256 the row records; a bundle object has the recorded size;
 * - the current version is one of the rows (so its objects exist too);
 * - when `leaked` is given, the objects under the model's prefixes that no row references are
 *   exactly those (objects a failed delete may leave behind once D1 has committed: leaked, not
 *   lost); callers that judge them otherwise leave it out and look at `unreferenced`.
 */
export async function checkFirmware(
	model: string,
	leaked?: readonly string[],
): Promise<FirmwareState> {
	const modelRow = await env.DB.prepare("SELECT current_version FROM device_models WHERE code = ?1")
		.bind(model)
		.first<{ current_version: string | null }>();
	const { results: rows } = await env.DB.prepare(
		`SELECT version, sha256, image_key, bundle_key, bundle_size, elf_key, elf_size
     FROM firmware_versions
     WHERE model_code = ?1 ORDER BY version`,
	)
		.bind(model)
		.all<StoredVersion>();
	const keys = new Set([
		...(await bucketKeys(`firmware/${model}/`)),
		...(await bucketKeys(`staging/${model}/`)),
	]);

	for (const row of rows) {
		expect(keys.has(row.image_key), `image of ${model} ${row.version}`).toBe(true);
		const image = await env.BLOBS.get(row.image_key);
		expect(image, `image object of ${model} ${row.version}`).not.toBeNull();
		expect(await sha256Of(await (image as R2ObjectBody).arrayBuffer())).toBe(row.sha256);
		if (row.bundle_key !== null) {
			expect(keys.has(row.bundle_key), `bundle of ${model} ${row.version}`).toBe(true);
			const head = await env.BLOBS.head(row.bundle_key);
			expect(head?.size).toBe(row.bundle_size);
		}
		if (row.elf_key !== null) {
			expect(keys.has(row.elf_key), `ELF of ${model} ${row.version}`).toBe(true);
			expect((await env.BLOBS.head(row.elf_key))?.size).toBe(row.elf_size);
		}
	}
	const current = modelRow?.current_version ?? null;
	if (current !== null) expect(rows.map((r) => r.version)).toContain(current);

	const referenced = rows
		.flatMap((r) => [r.image_key, r.bundle_key, r.elf_key])
		.filter((k) => k !== null);
	const unreferenced = [...keys].filter((k) => !referenced.includes(k)).sort();
	if (leaked) expect(unreferenced, `unreferenced objects of ${model}`).toEqual([...leaked].sort());
	return {
		current,
		versions: rows.map((r) => r.version),
		images: rows.map((r) => `${r.version}:${r.sha256}`),
		referenced: referenced.sort(),
		unreferenced,
		modelExists: modelRow !== null,
	};
}

export interface CoredumpState {
	/** Rows of the device, newest first. */
	ids: string[];
	unreferenced: string[];
}

/**
 * Core dump invariants of one device: every row's object exists with the recorded size and
 * SHA-256; at most `keep` rows; when `leaked` is given, exactly those objects lack a row.
 */
export async function checkCoredumps(
	model: string,
	device: string,
	keep: number,
	leaked?: readonly string[],
): Promise<CoredumpState> {
	const { results: rows } = await env.DB.prepare(
		`SELECT id, object_key, size, sha256 FROM coredumps WHERE device_key = ?1
     ORDER BY uploaded_at DESC, filename DESC`,
	)
		.bind(device)
		.all<{ id: string; object_key: string; size: number; sha256: string }>();
	const keys = new Set(await bucketKeys(`coredumps/${model}/${device}/`));
	for (const row of rows) {
		const object = await env.BLOBS.get(row.object_key);
		expect(object, `core dump object ${row.object_key}`).not.toBeNull();
		const bytes = await (object as R2ObjectBody).arrayBuffer();
		expect(bytes.byteLength).toBe(row.size);
		expect(await sha256Of(bytes)).toBe(row.sha256);
	}
	expect(rows.length).toBeLessThanOrEqual(keep);
	const referenced = new Set(rows.map((r) => r.object_key));
	const unreferenced = [...keys].filter((k) => !referenced.has(k)).sort();
	if (leaked)
		expect(unreferenced, `unreferenced core dumps of ${device}`).toEqual([...leaked].sort());
	return { ids: rows.map((r) => r.id), unreferenced };
}

/** After a model is deleted: no row and no object of it anywhere. */
export async function checkModelGone(model: string): Promise<void> {
	const row = await env.DB.prepare("SELECT 1 AS one FROM device_models WHERE code = ?1")
		.bind(model)
		.first();
	expect(row).toBeNull();
	const { results } = await env.DB.prepare(
		"SELECT version FROM firmware_versions WHERE model_code = ?1",
	)
		.bind(model)
		.all();
	expect(results).toEqual([]);
	for (const prefix of ["firmware", "staging", "coredumps", "elf-indexes"]) {
		expect(await bucketKeys(`${prefix}/${model}/`)).toEqual([]);
	}
}
