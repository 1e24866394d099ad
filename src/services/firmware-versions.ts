import type { DeviceModel } from "../db/device-models";
import {
	deleteVersionIfUnused,
	getCurrentVersion,
	getVersion,
	listVersions,
	type ServedVersion,
	type VersionRow,
	type VersionWithCurrent,
} from "../db/firmware-versions";
import { getOpenRollout } from "../db/rollouts";
import type { Env } from "../env";
import { Conflict, NotFound } from "../errors";
import { openObject } from "../storage/objects";
import type { BinaryAnswer } from "./binary-answer";
import { getModelOrThrow } from "./device-models";
import { activateIfNotCurrent, notifyCurrent } from "./firmware-current";
import { rolloutInProgress, versionInRollout } from "./rollouts";
import { removeVersionObjects } from "./version-objects";

/** A stored version, and what of it serving its image needs, as the routes receive them. */
export type { ServedVersion, VersionRow };

export interface VersionView {
	version: string;
	format: "zip" | "bin";
	sha256: string;
	size: number;
	chip: string;
	project_name: string;
	idf_version: string;
	secure_version: number;
	git_commit: string | null;
	elf_sha256: string | null;
	uploaded_at: string;
	current: boolean;
}

export function toVersionView(row: VersionWithCurrent): VersionView {
	return {
		version: row.version,
		format: row.format,
		sha256: row.sha256,
		size: row.size,
		chip: row.chip,
		project_name: row.project_name,
		idf_version: row.idf_version,
		secure_version: row.secure_version,
		git_commit: row.git_commit,
		elf_sha256: row.elf_sha256,
		uploaded_at: row.uploaded_at,
		current: row.current === 1,
	};
}

export async function versionHistory(db: D1Database, model: string): Promise<VersionView[]> {
	await getModelOrThrow(db, model);
	return (await listVersions(db, model)).map(toVersionView);
}

/** One stored version of a known model; 404 for an unknown model or version. */
export async function modelVersionOrThrow(
	db: D1Database,
	model: string,
	version: string,
): Promise<VersionRow> {
	await getModelOrThrow(db, model);
	return getVersionOrThrow(db, model, version);
}

/** One version's bundle as uploaded; 404 BUNDLE_NOT_FOUND for a version uploaded bare. */
export async function bundleDownload(
	env: Env,
	model: string,
	version: string,
): Promise<BinaryAnswer> {
	const row = await modelVersionOrThrow(env.DB, model, version);
	const object = row.bundle_key ? await openObject(env.BLOBS, row.bundle_key) : null;
	if (!object) {
		throw new NotFound("BUNDLE_NOT_FOUND", `Version '${version}' was uploaded as a bare image.`);
	}
	return {
		status: 200,
		body: object.body,
		headers: {
			"content-type": "application/zip",
			"content-length": String(object.size),
			"content-disposition": `attachment; filename="firmware-${model}-${version}.zip"`,
		},
	};
}

export async function getVersionOrThrow(db: D1Database, model: string, version: string) {
	const row = await getVersion(db, model, version);
	if (!row) throw versionNotFound(model, version);
	return row;
}

function versionNotFound(model: string, version: string): NotFound {
	return new NotFound(
		"VERSION_NOT_FOUND",
		`Model '${model}' has no firmware version '${version}'.`,
		{ code: model, version },
	);
}

/** The model's current version; 404 for an unknown model or a model without firmware. */
export async function currentVersionOrThrow(db: D1Database, model: string): Promise<VersionRow> {
	const row = await getCurrentVersion(db, model);
	if (row) return row;
	await getModelOrThrow(db, model);
	throw new NotFound("FIRMWARE_NOT_FOUND", `Model '${model}' has no firmware yet.`, {
		code: model,
	});
}

/**
 * Rolls back or forward to a stored version; devices are told when the current one changed.
 * Answers the model as it is now. The change is committed before the model is read, so a
 * failed read is retried once, not reported.
 */
export async function activate(
	env: Env,
	model: string,
	version: string,
	defer: (work: Promise<unknown>) => void,
): Promise<DeviceModel> {
	const row = await modelVersionOrThrow(env.DB, model, version);
	const changed = await activateIfNotCurrent(env.DB, row);
	if (changed) notifyCurrent(env, row, defer);
	else {
		if (!(await getVersion(env.DB, model, version))) throw versionNotFound(model, version);
		// Refused by the statement: a rollout holds the current version until it closes.
		const open = await getOpenRollout(env.DB, model);
		const current = (await getModelOrThrow(env.DB, model)).firmware_version;
		if (open && current !== version) throw rolloutInProgress(model, open);
	}
	return getModelOrThrow(env.DB, model).catch(() => getModelOrThrow(env.DB, model));
}

/** Deletes a version that is not current: D1 first, then its objects. */
export async function deleteVersion(env: Env, model: string, version: string): Promise<void> {
	await getModelOrThrow(env.DB, model);
	const deleted = await deleteVersionIfUnused(env.DB, model, version);
	if (deleted) {
		await removeVersionObjects(env, deleted);
		return;
	}
	const row = await getVersionOrThrow(env.DB, model, version);
	if ((await getModelOrThrow(env.DB, model)).firmware_version === row.version) {
		throw new Conflict(
			"VERSION_IS_CURRENT",
			`Version '${row.version}' is the current firmware of '${model}'; activate another version first.`,
			{ code: model, version },
		);
	}
	const open = await getOpenRollout(env.DB, model);
	if (open && (open.version === version || open.baseline_version === version)) {
		throw versionInRollout(model, version);
	}
	throw new Conflict(
		"VERSION_PINNED",
		`Devices of '${model}' are pinned to version '${version}'; unpin them first.`,
		{ code: model, version },
	);
}
