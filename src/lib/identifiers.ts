/** The identifier rules of SPEC §2. Nothing reaches a storage key without passing one of these. */

export const MODEL_CODE = /^[a-z0-9_]{1,50}$/;
/** Validators accept any 8 lower-case alphanumerics; new keys are base32 ([a-z2-7]). */
export const DEVICE_KEY = /^[a-z0-9]{8}$/;
/** A firmware version as read from an app image. */
export const FIRMWARE_VERSION = /^[0-9A-Za-z_+][0-9A-Za-z._+-]{0,30}$/;
/** The firmware version a device reports with a core dump (it may predate our upload rules). */
export const COREDUMP_FIRMWARE_VERSION = /^[0-9A-Za-z._+-]{1,64}$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export const isModelCode = (s: string): boolean => MODEL_CODE.test(s);
export const isDeviceKey = (s: string): boolean => DEVICE_KEY.test(s);
export const isFirmwareVersion = (s: string): boolean => FIRMWARE_VERSION.test(s);
export const isSha256Hex = (s: string): boolean => SHA256_HEX.test(s);

const CLIENT_ID = /^iotdevice-([a-z0-9_]{1,50})-([a-z0-9]{8})$/;

export function deviceClientId(modelCode: string, deviceKey: string): string {
	return `iotdevice-${modelCode}-${deviceKey}`;
}

/** Splits `iotdevice-<model_code>-<device_key>`; null when it is not a device client id. */
export function parseDeviceClientId(
	clientId: string,
): { modelCode: string; deviceKey: string } | null {
	const m = CLIENT_ID.exec(clientId);
	return m?.[1] && m[2] ? { modelCode: m[1], deviceKey: m[2] } : null;
}
