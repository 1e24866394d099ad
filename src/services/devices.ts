import type { Device } from "../db/devices";
import * as devices from "../db/devices";
import { nowIso } from "../db/time";
import { NotFound } from "../errors";
import { randomBase32 } from "../lib/base32";
import { deviceCoredumpPrefix } from "../storage/keys";
import { deletePrefix } from "../storage/objects";
import { modelNotFound } from "./device-models";

const KEY_ATTEMPTS = 5;

/** 8 characters of base32 (lower case): 40 random bits, as SPEC §2 says. */
export function newDeviceKey(): string {
	return randomBase32(8);
}

/** Every device (ordered by model and key), or one model's (ordered by key). */
export function listDevicesOf(db: D1Database, modelCode?: string): Promise<Device[]> {
	return devices.listDevices(db, modelCode);
}

export async function getDeviceOrThrow(db: D1Database, key: string): Promise<Device> {
	const device = await devices.getDevice(db, key);
	if (!device) throw deviceNotFound(key);
	return device;
}

export function deviceNotFound(key: string): NotFound {
	return new NotFound("DEVICE_NOT_FOUND", `No device has the key '${key}'.`, { key });
}

/** Registers a device with a fresh key, drawing again on the (unlikely) collision. */
export async function createDevice(
	db: D1Database,
	input: { model_code: string; name?: string | null },
	makeKey: () => string = newDeviceKey,
): Promise<Device> {
	for (let attempt = 0; attempt < KEY_ATTEMPTS; attempt++) {
		const key = makeKey();
		const outcome = await devices.insertDevice(db, {
			key,
			modelCode: input.model_code,
			name: input.name ?? null,
			now: nowIso(),
		});
		if (outcome === "no_model") throw modelNotFound(input.model_code);
		if (outcome === "created") return getDeviceOrThrow(db, key);
	}
	throw new Error(`no free device key after ${KEY_ATTEMPTS} attempts`);
}

export async function patchDevice(
	db: D1Database,
	key: string,
	patch: { name?: string | null; active?: boolean },
): Promise<Device> {
	if (!(await devices.updateDevice(db, key, { ...patch, now: nowIso() }))) {
		throw deviceNotFound(key);
	}
	return getDeviceOrThrow(db, key);
}

/** D1 first (the device and its core dump rows), then the device's core dump objects. */
export async function deleteDevice(
	env: { DB: D1Database; BLOBS: R2Bucket },
	key: string,
): Promise<Device> {
	const deleted = await devices.deleteDevice(env.DB, key);
	if (!deleted) throw deviceNotFound(key);
	await deletePrefix(env.BLOBS, deviceCoredumpPrefix(deleted.model_code, deleted.key));
	return deleted;
}
