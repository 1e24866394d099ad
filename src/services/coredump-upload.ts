import type { CoredumpRow } from "../db/coredumps";
import { deleteCoredumpsBeyond, getCoredump, insertCoredump } from "../db/coredumps";
import type { Device } from "../db/devices";
import type { Env, Limits } from "../env";
import { AppError } from "../errors";
import { randomBase32 } from "../lib/base32";
import { sha256Hex } from "../lib/hex";
import {
	checkDeclaredLength,
	declaredLength,
	readLimited,
	type UploadBody,
} from "../lib/upload-body";
import { putCoredumpObject } from "../storage/coredump-objects";
import { coredumpKey } from "../storage/keys";
import { deleteKeys } from "../storage/objects";
import { deviceNotFound } from "./devices";

/**
 * A device's core dump upload (SPEC §7). The order matters: the rate limit is checked before
 * the body is touched, the declared length before anything is read, the bytes and their
 * metadata go to R2 in one put, and only then does D1 index them. When D1 refuses, the object
 * is removed again, so an object without a row never stays behind.
 */

const WHAT = "core dump";

export interface CoredumpQuery {
	chip: string;
	firmware_version: string;
}

export interface StoredCoredump {
	id: string;
	filename: string;
	size: number;
}

export async function uploadCoredump(
	env: Env,
	limits: Limits,
	device: Device,
	query: CoredumpQuery,
	upload: UploadBody,
): Promise<StoredCoredump> {
	await checkRateLimit(env, device.key, limits.coredumpRetryAfterSeconds);
	checkDeclaredLength(declaredLength(upload), limits.coredumpMaxBytes, WHAT);
	const bytes = await readLimited(upload.stream, limits.coredumpMaxBytes, WHAT);
	const sha256 = await sha256Hex(bytes);

	const now = new Date();
	const filename = coredumpFilename(now);
	const row: CoredumpRow = {
		id: crypto.randomUUID(),
		device_key: device.key,
		model_code: device.model_code,
		filename,
		object_key: coredumpKey(device.model_code, device.key, filename),
		chip: query.chip,
		firmware_version: query.firmware_version,
		size: bytes.byteLength,
		sha256,
		uploaded_at: now.toISOString(),
	};
	try {
		await putCoredumpObject(env.BLOBS, row.object_key, bytes, {
			chip: row.chip,
			firmware_version: row.firmware_version,
			device_key: row.device_key,
			model_code: row.model_code,
			uploaded_at: row.uploaded_at,
			sha256,
		});
	} catch (err) {
		// A put whose answer was lost may have stored the object after all.
		await removeObject(env.BLOBS, row.object_key);
		throw err;
	}
	await indexOrRemove(env, row);
	await applyRetention(env, row, limits.coredumpKeepPerDevice);
	return { id: row.id, filename, size: row.size };
}

/**
 * `coredump_<YYYYMMDD>T<HHMMSS>_<unique>Z.dmp` in UTC. The unique part is the millisecond and
 * 80 random bits, so names sort by time and uploads in the same millisecond never collide.
 */
export function coredumpFilename(at: Date): string {
	const iso = at.toISOString();
	const date = iso.slice(0, 10).replaceAll("-", "");
	const time = iso.slice(11, 19).replaceAll(":", "");
	const millis = iso.slice(20, 23);
	return `coredump_${date}T${time}_${millis}${randomBase32(16)}Z.dmp`;
}

/**
 * Workers Rate Limiting, per device. No binding means no limit (deployments without one); a
 * limiter that fails lets the dump through, because a lost crash report costs more than a
 * few extra writes.
 */
async function checkRateLimit(env: Env, deviceKey: string, retryAfter: number): Promise<void> {
	if (!env.COREDUMP_LIMITER) return;
	let allowed: boolean;
	try {
		allowed = (await env.COREDUMP_LIMITER.limit({ key: deviceKey })).success;
	} catch (err) {
		console.error(JSON.stringify({ msg: "core dump rate limiter failed", error: String(err) }));
		return;
	}
	if (allowed) return;
	throw new AppError(
		"RATE_LIMITED",
		`This device is sending core dumps too often; try again in ${retryAfter} seconds.`,
		{ retry_after_seconds: retryAfter },
		{ "Retry-After": String(retryAfter) },
	);
}

/**
 * The D1 row, or no object at all: a dump D1 does not know about is removed again. D1's answer
 * can be lost after the row was written, so on an error the row is looked up first: found, the
 * dump is stored; not knowable, the object stays (an unindexed object is garbage, a row without
 * its bytes is a lost crash report).
 */
async function indexOrRemove(env: Env, row: CoredumpRow): Promise<void> {
	let indexed: boolean;
	try {
		indexed = await insertCoredump(env.DB, row);
	} catch (err) {
		const stored = await getCoredump(env.DB, row.device_key, row.id).catch(() => undefined);
		if (stored) return;
		console.error(
			JSON.stringify({
				msg: "core dump index write failed",
				key: row.object_key,
				error: String(err),
			}),
		);
		if (stored === null) await removeObject(env.BLOBS, row.object_key);
		throw new AppError("COREDUMP_NOT_STORED", "The core dump could not be stored; send it again.");
	}
	if (!indexed) {
		await removeObject(env.BLOBS, row.object_key);
		throw deviceNotFound(row.device_key);
	}
}

async function removeObject(bucket: R2Bucket, key: string): Promise<void> {
	try {
		await deleteKeys(bucket, [key]);
	} catch (err) {
		console.error(JSON.stringify({ msg: "orphaned core dump object", key, error: String(err) }));
	}
}

/**
 * Keeps the device's newest `keep` dumps: rows first (with their keys), then the objects. The
 * dump just stored is always kept. A failure here is logged, not answered: the dump is stored.
 */
async function applyRetention(env: Env, row: CoredumpRow, keep: number): Promise<void> {
	try {
		const keys = await deleteCoredumpsBeyond(env.DB, row.device_key, row.id, keep);
		await deleteKeys(env.BLOBS, keys);
	} catch (err) {
		console.error(
			JSON.stringify({
				msg: "core dump retention failed",
				device: row.device_key,
				error: String(err),
			}),
		);
	}
}
