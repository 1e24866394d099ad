/**
 * What devices say about themselves (SPEC §13): status reports, the running version of devices
 * that only poll, and when each device was last seen — without a D1 write per request.
 */
import {
	recordRunningVersion,
	recordStatus,
	type StatusReport,
	touchLastSeen,
} from "../db/device-reports";
import type { Device } from "../db/devices";
import { nowIso } from "../db/time";
import type { Env } from "../env";
import { WriteThrottle } from "../lib/write-throttle";
import { deviceNotFound } from "./devices";

type Defer = (work: Promise<unknown>) => void;

/** `last_seen_at` is written at most once per this long per device (LAST_SEEN_WRITE_SECONDS). */
export const DEFAULT_LAST_SEEN_WRITE_SECONDS = 600;

export function lastSeenIntervalMs(env: Env): number {
	const n = Number(env.LAST_SEEN_WRITE_SECONDS);
	return (Number.isFinite(n) && n >= 0 ? n : DEFAULT_LAST_SEEN_WRITE_SECONDS) * 1000;
}

const lastSeenWrites = new WriteThrottle();

/**
 * Moves the device's `last_seen_at` forward when it is older than the write interval, as seen
 * from the stored value and from this isolate's own last write; the write happens in the
 * background, and a stale copy of the row costs no extra write (the statement checks too).
 */
export function noteSeen(env: Env, device: Device, defer: Defer, now = Date.now()): void {
	const interval = lastSeenIntervalMs(env);
	if (!lastSeenWrites.claim(device.key, device.last_seen_at, now, interval)) return;
	const at = new Date(now).toISOString();
	const staleBefore = new Date(now - interval).toISOString();
	defer(touchLastSeen(env.DB, device.key, at, staleBefore));
}

/** A status report, recorded on the device (and counted for an open rollout's guard). */
export async function reportStatus(env: Env, device: Device, report: StatusReport): Promise<void> {
	if (!(await recordStatus(env.DB, device.key, report, nowIso()))) throw deviceNotFound(device.key);
}

/**
 * `X-Firmware-Version` on a version check: written only when it is news (another version, or
 * not yet known to be running it).
 */
export function noteRunningVersion(
	env: Env,
	device: Device,
	version: string | undefined,
	defer: Defer,
): void {
	if (version === undefined) return;
	if (device.reported_version === version && device.reported_state === "running") return;
	defer(recordRunningVersion(env.DB, device.key, version, nowIso()));
}
