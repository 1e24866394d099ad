/**
 * ESP chip ids as written in an app image header (u16 at offset 12) and the names our API uses.
 *
 * The ids are ESP-IDF's `esp_chip_id_t` (esp_app_format.h), which is also what esptool writes as
 * `IMAGE_CHIP_ID` for each target. esp32h21 (25), esp32h4 (28) and esp32s31 (32) are newer
 * targets that esptool already builds images for; listing them lets models on those chips upload.
 * Beta silicon ids (e.g. the ESP32-H2 betas) are left out on purpose: no fleet runs them.
 */
const CHIPS: ReadonlyArray<readonly [name: string, id: number]> = [
	["esp32", 0],
	["esp32s2", 2],
	["esp32c3", 5],
	["esp32s3", 9],
	["esp32c2", 12],
	["esp32c6", 13],
	["esp32h2", 16],
	["esp32p4", 18],
	["esp32c61", 20],
	["esp32c5", 23],
	["esp32h21", 25],
	["esp32h4", 28],
	["esp32s31", 32],
];

// Maps, not object literals: a name such as "constructor" must not look like a known chip.
const NAME_BY_ID = new Map<number, string>(CHIPS.map(([name, id]) => [id, name]));
const ID_BY_NAME = new Map<string, number>(CHIPS);

/** Every chip name the service accepts, in chip id order. */
export const KNOWN_CHIPS: readonly string[] = Object.freeze(CHIPS.map(([name]) => name));

/** The chip name for an image header's chip id; undefined when the id is not one we know. */
export function chipName(id: number): string | undefined {
	return NAME_BY_ID.get(id);
}

/** The image header chip id for a chip name; undefined when the name is not known. */
export function chipId(name: string): number | undefined {
	return ID_BY_NAME.get(name);
}

export function isKnownChip(name: string): boolean {
	return ID_BY_NAME.has(name);
}
