/**
 * The one read behind every device request (SPEC §12, §13): the device and what it is to be
 * served, from one D1 statement, decided by the target rule. An isolate cache of device
 * contexts wraps `resolveDeviceContext` and nothing else.
 */
import { type DeviceContextRow, getDeviceContext } from "../db/device-context";
import { type Device, toDevice } from "../db/devices";
import type { VersionRow } from "../db/firmware-versions";
import { chooseTarget, type Target } from "./device-target";

export interface DeviceContext {
	device: Device;
	/** What this device is served: its pinned version, its rollout's, or the current one. */
	target: Target<VersionRow>;
}

export function toDeviceContext(row: DeviceContextRow): DeviceContext {
	return { device: toDevice(row.device), target: chooseTarget(row) };
}

/** The device with that key and its target; null when there is no such device. */
export async function resolveDeviceContext(
	db: D1Database,
	key: string,
): Promise<DeviceContext | null> {
	const row = await getDeviceContext(db, key);
	return row ? toDeviceContext(row) : null;
}
