import type { CoredumpRow } from "../db/coredumps";
import * as coredumps from "../db/coredumps";
import type { Env } from "../env";
import { NotFound } from "../errors";
import { deleteKeys, openObject } from "../storage/objects";
import type { BinaryAnswer } from "./binary-answer";
import { getDeviceOrThrow } from "./devices";

/**
 * What operators do with a device's core dumps (SPEC §4): list, look at, download and delete.
 * Deletes go to D1 first and then to R2, so a dump is never listed without its bytes.
 */

export interface Coredump {
	id: string;
	filename: string;
	device_key: string;
	model_code: string;
	chip: string;
	firmware_version: string;
	size: number;
	sha256: string;
	uploaded_at: string;
}

export function toCoredump(row: CoredumpRow): Coredump {
	return {
		id: row.id,
		filename: row.filename,
		device_key: row.device_key,
		model_code: row.model_code,
		chip: row.chip,
		firmware_version: row.firmware_version,
		size: row.size,
		sha256: row.sha256,
		uploaded_at: row.uploaded_at,
	};
}

function coredumpNotFound(key: string, id: string): NotFound {
	return new NotFound("COREDUMP_NOT_FOUND", `Device '${key}' has no core dump '${id}'.`, {
		key,
		id,
	});
}

/** The device's dumps, newest first; 404 for an unknown device. */
export async function listDeviceCoredumps(db: D1Database, key: string): Promise<Coredump[]> {
	await getDeviceOrThrow(db, key);
	return (await coredumps.listCoredumps(db, key)).map(toCoredump);
}

export async function getCoredumpRowOrThrow(
	db: D1Database,
	key: string,
	id: string,
): Promise<CoredumpRow> {
	await getDeviceOrThrow(db, key);
	const row = await coredumps.getCoredump(db, key, id);
	if (!row) throw coredumpNotFound(key, id);
	return row;
}

/** One dump's metadata; 404 for an unknown device or dump. */
export async function getDeviceCoredump(
	db: D1Database,
	key: string,
	id: string,
): Promise<Coredump> {
	return toCoredump(await getCoredumpRowOrThrow(db, key, id));
}

/**
 * The raw bytes under their stored file name, with an exact length, streamed from R2 as they
 * are. A row whose object is missing is reported as a missing dump and logged for operators.
 */
export async function downloadCoredump(env: Env, key: string, id: string): Promise<BinaryAnswer> {
	const row = await getCoredumpRowOrThrow(env.DB, key, id);
	const object = await openObject(env.BLOBS, row.object_key);
	if (!object) {
		console.error(JSON.stringify({ msg: "core dump object missing", key: row.object_key }));
		throw coredumpNotFound(key, id);
	}
	return {
		status: 200,
		body: object.body,
		headers: {
			"content-type": "application/octet-stream",
			"content-length": String(object.size),
			"content-disposition": `attachment; filename="${row.filename}"`,
			etag: `"${row.sha256}"`,
			"cache-control": "private, no-store",
		},
	};
}

export async function deleteOneCoredump(env: Env, key: string, id: string): Promise<void> {
	await getDeviceOrThrow(env.DB, key);
	const objectKey = await coredumps.deleteCoredump(env.DB, key, id);
	if (!objectKey) throw coredumpNotFound(key, id);
	await deleteKeys(env.BLOBS, [objectKey]);
}

/** Removes every dump of the device (the device stays); 404 for an unknown device. */
export async function deleteAllCoredumps(env: Env, key: string): Promise<void> {
	await getDeviceOrThrow(env.DB, key);
	const objectKeys = await coredumps.deleteDeviceCoredumps(env.DB, key);
	await deleteKeys(env.BLOBS, objectKeys);
}
