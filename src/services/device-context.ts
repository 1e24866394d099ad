/**
 * The one read behind every device request (SPEC §12, §13): the device and what it is to be
 * served, from one D1 statement, decided by the target rule — and remembered by the isolate for
 * at most DEVICE_CACHE_SECONDS, so that a device resuming an image in 64 KiB ranges (33
 * requests) makes one D1 query, through a D1 session that a nearby read replica may answer.
 *
 * The bound is the contract: a deactivation, a deletion, a pin or a new target made anywhere
 * reaches every isolate within DEVICE_CACHE_SECONDS. A write made through this isolate (any
 * admin or pipeline request that changes something) forgets everything at once, see
 * `forgetDeviceContexts`. What was read is remembered whatever it says: a device that is not
 * registered or is deactivated is refused from memory too.
 */
import { type DeviceContextRow, getDeviceContext } from "../db/device-context";
import { type Device, toDevice } from "../db/devices";
import type { ServedVersion } from "../db/firmware-versions";
import { type D1Reader, deviceReads } from "../db/reader";
import { deviceCacheSecondsOf, type Env } from "../env";
import { LruCache } from "../lib/lru-cache";
import { chooseTarget, type Target } from "./device-target";

export interface DeviceContext {
	device: Device;
	/** What this device is served: its pinned version, its rollout's, or the current one. */
	target: Target<ServedVersion>;
}

export interface DeviceId {
	modelCode: string;
	deviceKey: string;
}

export function toDeviceContext(row: DeviceContextRow): DeviceContext {
	return { device: toDevice(row.device), target: chooseTarget(row) };
}

/** The device with that key and its target; null when there is no such device. */
export async function resolveDeviceContext(
	db: D1Reader,
	key: string,
): Promise<DeviceContext | null> {
	const row = await getDeviceContext(db, key);
	return row ? toDeviceContext(row) : null;
}

/** Bounds memory: beyond this many devices per isolate the least recently seen is dropped. */
const MAX_ENTRIES = 10_000;

interface Remembered {
	value: DeviceContext | null;
	readAt: number;
}

const contexts = new LruCache<string, Remembered>(MAX_ENTRIES);
/** Bumped by every forget, so a read that was under way then is not remembered after it. */
let generation = 0;

/** The device's context, from memory when it was read within DEVICE_CACHE_SECONDS. */
export async function deviceContextOf(env: Env, id: DeviceId): Promise<DeviceContext | null> {
	// The token names the model: it is part of the key, as everything the answer depends on.
	const key = `${id.modelCode}/${id.deviceKey}`;
	const ttlMs = deviceCacheSecondsOf(env) * 1000;
	const now = Date.now();
	if (ttlMs > 0) {
		const hit = contexts.get(key, now);
		// The bound in force now applies, even to what was stored under a longer one.
		if (hit && now >= hit.readAt && now - hit.readAt < ttlMs) return hit.value;
	}
	const startedIn = generation;
	const value = await resolveDeviceContext(deviceReads(env.DB), id.deviceKey);
	if (ttlMs > 0 && startedIn === generation) contexts.set(key, { value, readAt: now }, now + ttlMs);
	return value;
}

/**
 * Forgets every device context this isolate remembers: called after any write made through
 * this isolate, so its own changes apply at once (other isolates within the bound).
 */
export function forgetDeviceContexts(): void {
	generation += 1;
	contexts.clear();
}
