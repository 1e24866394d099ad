/**
 * A device as the admin API shows it (SPEC §13): its record plus `target_version`, what the
 * device endpoints would serve it now, decided by the same rule.
 */
import type { Device } from "../db/devices";
import { getTargetSnapshot } from "../db/notify-targets";
import type { Env } from "../env";
import { resolveDeviceContext } from "./device-context";
import { targetVersionOf } from "./device-target";
import { deviceNotFound, listDevicesOf, patchDevice } from "./devices";
import { notifyAfterCommit } from "./notify-dispatch";

export type DeviceView = Device & { target_version: string | null };

export async function deviceViewOrThrow(db: D1Database, key: string): Promise<DeviceView> {
	const context = await resolveDeviceContext(db, key);
	if (!context) throw deviceNotFound(key);
	return { ...context.device, target_version: context.target.version?.version ?? null };
}

export async function listDeviceViews(db: D1Database, model?: string): Promise<DeviceView[]> {
	const devices = await listDevicesOf(db, model);
	const snapshots = new Map<string, Awaited<ReturnType<typeof getTargetSnapshot>>>();
	for (const code of new Set(devices.map((d) => d.model_code))) {
		snapshots.set(code, await getTargetSnapshot(db, code));
	}
	return devices.map((d) => {
		const snapshot = snapshots.get(d.model_code);
		return { ...d, target_version: snapshot ? targetVersionOf(snapshot, d) : null };
	});
}

/** Renames, (de)activates or pins a device; tells it over MQTT when its target changed. */
export async function updateDeviceView(
	env: Env,
	key: string,
	patch: { name?: string | null; active?: boolean; pinned_version?: string | null },
	defer: (work: Promise<unknown>) => void,
): Promise<DeviceView> {
	const before = await deviceViewOrThrow(env.DB, key);
	await patchDevice(env.DB, key, patch);
	const after = await deviceViewOrThrow(env.DB, key);
	if (after.active && after.target_version !== before.target_version) {
		notifyAfterCommit(
			env,
			[{ kind: "device", model: after.model_code, key, before: before.target_version }],
			defer,
		);
	}
	return after;
}
