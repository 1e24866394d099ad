/**
 * What the device endpoints answer (SPEC §4, §13): each device its own target — the image, the
 * immutable by-hash image (only while that hash is the device's target, so a halted or aborted
 * release cannot be fetched or resumed by a device it no longer targets), and the version check.
 */
import type { ServedVersion } from "../db/firmware-versions";
import { NotFound } from "../errors";
import type { Target } from "./device-target";

function noFirmware(): NotFound {
	return new NotFound("FIRMWARE_NOT_FOUND", "There is no firmware for this device.");
}

export function targetImageOrThrow(target: Target<ServedVersion>): ServedVersion {
	if (!target.version) throw noFirmware();
	return target.version;
}

export function targetImageByHashOrThrow(
	target: Target<ServedVersion>,
	sha256: string,
): ServedVersion {
	if (target.version?.sha256 !== sha256) throw noFirmware();
	return target.version;
}

export interface DeviceFirmwareVersion {
	firmware_version: string | null;
	sha256: string | null;
	size: number | null;
}

export function targetVersionAnswer(target: Target<ServedVersion>): DeviceFirmwareVersion {
	const row = target.version;
	return {
		firmware_version: row?.version ?? null,
		sha256: row?.sha256 ?? null,
		size: row?.size ?? null,
	};
}
