import { type DeviceContextRow, readDeviceContext } from "../db/device-context";
import { getServedVersionBySha256, type ServedVersion } from "../db/firmware-versions";
import { type D1Reader, deviceReads } from "../db/reader";
import { deviceCacheSecondsOf, type Env } from "../env";
import { LruCache } from "../lib/lru-cache";

/**
 * What a device's request needs to know of the device, remembered by the isolate for at most
 * DEVICE_CACHE_SECONDS (SPEC §12): a device resuming an image in 64 KiB ranges makes 33
 * requests, and only the first of them in that window reads D1, through a D1 session that a
 * nearby read replica may answer.
 *
 * The bound is the contract: a deactivation, a deletion or a new target version made anywhere
 * reaches every isolate within DEVICE_CACHE_SECONDS. A write made through this isolate (any
 * admin or pipeline request that changes something) forgets everything at once, see
 * `forgetDeviceContexts`. Everything is remembered as read, whatever it says: a device that is
 * not registered or is deactivated is refused from memory too.
 */
export type DeviceContext = DeviceContextRow;

export interface DeviceId {
	modelCode: string;
	deviceKey: string;
}

/**
 * The one place that decides a device's context from D1. The cache below is generic over its
 * answer: what a device is served can change here without touching the cache.
 */
export function resolveDeviceContext(db: D1Reader, id: DeviceId): Promise<DeviceContext> {
	return readDeviceContext(db, id.deviceKey);
}

/** Bounds memory: beyond this many devices per isolate the least recently seen is dropped. */
const MAX_ENTRIES = 10_000;

interface Remembered<T> {
	value: T;
	readAt: number;
}

const contexts = new LruCache<string, Remembered<DeviceContext>>(MAX_ENTRIES);
const versionsBySha = new LruCache<string, Remembered<ServedVersion | null>>(MAX_ENTRIES);
/** Bumped by every forget, so a read that was under way then is not remembered after it. */
let generation = 0;

/** The device's context, from memory when it was read within DEVICE_CACHE_SECONDS. */
export function deviceContextOf(env: Env, id: DeviceId): Promise<DeviceContext> {
	// The token names the model: it is part of the key, as everything the answer depends on.
	return remembered(contexts, env, `${id.modelCode}/${id.deviceKey}`, (db) =>
		resolveDeviceContext(db, id),
	);
}

/**
 * The version of the device's model whose image has this SHA-256 (the immutable download URL),
 * or null. The device's own target answers without a read; another version is remembered for
 * DEVICE_CACHE_SECONDS like the context, so its deletion reaches devices within that bound too.
 */
export function versionForDevice(
	env: Env,
	context: DeviceContext,
	modelCode: string,
	sha256: string,
): Promise<ServedVersion | null> {
	if (context.target?.sha256 === sha256) return Promise.resolve(context.target);
	return remembered(versionsBySha, env, `${modelCode}/${sha256}`, (db) =>
		getServedVersionBySha256(db, modelCode, sha256),
	);
}

async function remembered<T>(
	cache: LruCache<string, Remembered<T>>,
	env: Env,
	key: string,
	read: (db: D1Reader) => Promise<T>,
): Promise<T> {
	const ttlMs = deviceCacheSecondsOf(env) * 1000;
	const now = Date.now();
	if (ttlMs > 0) {
		const hit = cache.get(key, now);
		// The bound in force now applies, even to what was stored under a longer one.
		if (hit && now >= hit.readAt && now - hit.readAt < ttlMs) return hit.value;
	}
	const startedIn = generation;
	const value = await read(deviceReads(env.DB));
	if (ttlMs > 0 && startedIn === generation) cache.set(key, { value, readAt: now }, now + ttlMs);
	return value;
}

/**
 * Forgets every device context and version this isolate remembers: called after any write made
 * through this isolate, so its own changes apply at once (other isolates within the bound).
 */
export function forgetDeviceContexts(): void {
	generation += 1;
	contexts.clear();
	versionsBySha.clear();
}
