import type { AnalysisErrorCode } from "./lib/coredump/analysis";

/**
 * Every error code a client can receive, with its HTTP status and meaning. Codes are stable:
 * clients branch on them. The OpenAPI document and the README list these; a test checks that
 * every code the source throws is here and that the README names every one.
 */
export const ERROR_CODES = {
	// Requests
	VALIDATION_FAILED: [
		400,
		"A path, query or body field breaks its rule; `details.issues` names each.",
	],
	INVALID_JSON: [400, "The body is not valid JSON."],
	UNSUPPORTED_MEDIA_TYPE: [415, "A JSON endpoint got another Content-Type."],
	PAYLOAD_TOO_LARGE: [413, "The body is over its limit (refused unread when declared)."],
	EMPTY_BODY: [400, "The body is empty."],
	INVALID_CONTENT_LENGTH: [400, "Content-Length is not a number."],
	BODY_LENGTH_MISMATCH: [400, "The body did not match its Content-Length."],
	BODY_INCOMPLETE: [400, "The body was cut off while it was read."],
	ROUTE_NOT_FOUND: [404, "No such endpoint."],
	METHOD_NOT_ALLOWED: [405, "The endpoint exists but not for this method (see `Allow`)."],
	RATE_LIMITED: [429, "The device sends core dumps too often; wait `Retry-After` seconds."],
	INTERNAL_ERROR: [500, "An unexpected failure; it is logged, the details never leave the server."],
	// Authentication
	AUTH_REQUIRED: [401, "No `Authorization: Bearer <token>` header."],
	TOKEN_INVALID: [
		401,
		"The token is malformed, wrongly signed, or its iss/aud/nbf is not accepted.",
	],
	TOKEN_EXPIRED: [401, "The token has expired."],
	FORBIDDEN: [403, "The token lacks the role this endpoint needs."],
	NOT_A_DEVICE: [403, "A device endpoint was called with a token that names no device."],
	DEVICE_INACTIVE: [403, "The token's device is deactivated."],
	DEVICE_MODEL_MISMATCH: [
		401,
		"The token's device belongs to another model than its client id says.",
	],
	AUTH_NOT_CONFIGURED: [
		503,
		"No issuer, audience or keys are configured: protected endpoints are closed.",
	],
	AUTH_UNAVAILABLE: [503, "The identity provider's keys or discovery document could not be read."],
	// Operator console sign-in
	CONSOLE_NOT_CONFIGURED: [
		503,
		"Console sign-in is off: OIDC_CONSOLE_CLIENT_ID (and OIDC_ISSUER) are not set.",
	],
	SIGN_IN_REFUSED: [400, "The identity provider refused the console's code or refresh token."],
	// Models and devices
	MODEL_NOT_FOUND: [404, "No device model has that code."],
	MODEL_EXISTS: [409, "A device model with that code exists."],
	MODEL_HAS_DEVICES: [409, "The model still has devices; delete them first."],
	DEVICE_NOT_FOUND: [404, "No device has that key (also: the token's device is not registered)."],
	// Firmware
	UNKNOWN_FIRMWARE_FORMAT: [
		400,
		"The body is neither an app image (0xE9) nor a ZIP (PK\\x03\\x04).",
	],
	CHIP_MISMATCH: [400, "The image is built for another chip than the model's."],
	ELF_MISMATCH: [400, "The bundle's ELF does not hash to the SHA-256 the image names."],
	CONCURRENT_UPLOAD: [409, "Other uploads of the same version kept winning; try again."],
	FIRMWARE_NOT_FOUND: [404, "The model has no firmware (or no image with that SHA-256)."],
	VERSION_NOT_FOUND: [404, "The model has no such firmware version."],
	VERSION_IS_CURRENT: [409, "The current version cannot be deleted; activate another first."],
	BUNDLE_NOT_FOUND: [404, "The version was uploaded as a bare image: there is no bundle."],
	RANGE_NOT_SATISFIABLE: [416, "The range starts past the end of the image."],
	STORAGE_OBJECT_MISSING: [503, "A stored file disappeared while it was read; try again."],
	STORAGE_OBJECT_CHANGED: [503, "A stored file changed while it was read; try again."],
	// App image (SPEC §6.1), all 400
	IMAGE_HEADER_TRUNCATED: [400, "Shorter than the 24-byte image header."],
	IMAGE_BAD_MAGIC: [400, "The first byte is not 0xE9."],
	IMAGE_SEGMENT_COUNT_INVALID: [400, "Segment count is 0 or more than 16."],
	IMAGE_HASH_APPENDED_INVALID: [400, "The hash-appended byte (offset 23) is not 0 or 1."],
	IMAGE_CHIP_UNKNOWN: [400, "The header's chip id is not a known chip."],
	IMAGE_SEGMENT_HEADER_TRUNCATED: [400, "The file ends inside a segment header."],
	IMAGE_SEGMENT_TOO_LARGE: [400, "A segment declares 16 MiB or more."],
	IMAGE_SEGMENT_LENGTH_UNALIGNED: [400, "A segment length is not a multiple of 4."],
	IMAGE_SEGMENT_DATA_TRUNCATED: [400, "A segment's data runs past the end of the file."],
	IMAGE_CHECKSUM_TRUNCATED: [400, "The file ends before the checksum byte."],
	IMAGE_HASH_TRUNCATED: [400, "The file ends inside the appended SHA-256."],
	IMAGE_CHECKSUM_MISMATCH: [400, "The checksum byte does not match the segment data."],
	IMAGE_HASH_MISMATCH: [400, "The appended SHA-256 does not match the image."],
	IMAGE_FIRST_SEGMENT_TOO_SMALL: [400, "The first segment cannot hold esp_app_desc_t (256 bytes)."],
	IMAGE_APP_DESC_BAD_MAGIC: [400, "No esp_app_desc_t magic 0xABCD5432 at offset 32."],
	IMAGE_VERSION_UNTERMINATED: [400, "The version field has no NUL within its 32 bytes."],
	IMAGE_VERSION_EMPTY: [400, "The image's version is empty."],
	IMAGE_VERSION_INVALID: [400, "The image's version breaks the firmware version rule."],
	// ZIP bundle (SPEC §6.2)
	BUNDLE_LAYOUT_INVALID: [
		400,
		"Not exactly the five entries; `details` names missing, unexpected and duplicate ones.",
	],
	BUNDLE_APP_IMAGE_TOO_LARGE: [
		413,
		"The bundle's app image declares more than APP_IMAGE_MAX_BYTES.",
	],
	BUNDLE_ENTRY_TOO_LARGE: [
		413,
		"An entry declares more than its limit (version.json 64 KiB, sdkconfig 1 MiB, ELF/map 256 MiB).",
	],
	VERSION_JSON_NOT_UTF8: [400, "version.json is not UTF-8."],
	VERSION_JSON_INVALID: [400, "version.json is not valid JSON."],
	VERSION_JSON_NOT_OBJECT: [400, "version.json is not a JSON object."],
	VERSION_JSON_FIELD_INVALID: [400, "A required version.json field is missing or not a string."],
	ZIP_END_RECORD_NOT_FOUND: [400, "Not a ZIP archive, or cut short."],
	ZIP_ZIP64_UNSUPPORTED: [400, "ZIP64 archives are not supported."],
	ZIP_MULTI_DISK: [400, "Multi-disk archives are not supported."],
	ZIP_EMPTY: [400, "The archive holds no entries (e.g. a comment-only ZIP)."],
	ZIP_TOO_MANY_ENTRIES: [400, "More entries than a bundle can have."],
	ZIP_CENTRAL_DIRECTORY_OUT_OF_RANGE: [400, "The central directory is not where the archive says."],
	ZIP_CENTRAL_DIRECTORY_TOO_LARGE: [413, "The central directory is over 1 MiB."],
	ZIP_CENTRAL_DIRECTORY_TRUNCATED: [400, "The central directory is cut short."],
	ZIP_CENTRAL_DIRECTORY_CORRUPT: [400, "The central directory is damaged."],
	ZIP_INVALID_NAME: [400, "An entry name is empty, not UTF-8, or has control characters."],
	ZIP_ENCRYPTED: [400, "An entry is encrypted."],
	ZIP_UNSUPPORTED_METHOD: [400, "An entry is neither stored nor deflated."],
	ZIP_ENTRY_OUT_OF_RANGE: [400, "An entry's data runs outside its space in the archive."],
	ZIP_OVERLAPPING_ENTRIES: [400, "Two entries share bytes."],
	ZIP_LOCAL_HEADER_INVALID: [400, "An entry's local header is missing or damaged."],
	ZIP_NAME_MISMATCH: [400, "An entry has another name in its local header."],
	ZIP_LOCAL_HEADER_MISMATCH: [400, "An entry's local header declares other sizes or method."],
	ZIP_SIZE_MISMATCH: [400, "An entry does not inflate to its declared size."],
	ZIP_CRC_MISMATCH: [400, "An entry's CRC-32 does not match."],
	ZIP_DEFLATE_CORRUPT: [400, "An entry's compressed data is damaged or cut short."],
	ZIP_ENTRY_TOO_LARGE: [413, "An entry declares more bytes than allowed."],
	ZIP_SOURCE_UNREADABLE: [503, "The staged bundle could not be read back; try again."],
	// Core dumps
	COREDUMP_NOT_FOUND: [404, "The device has no such core dump."],
	COREDUMP_NOT_STORED: [
		503,
		"The core dump could not be indexed; nothing was kept, send it again.",
	],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Statuses that only appear in metrics data points (never in an HTTP answer): the bundle
 * fallback's outcomes and the notification outcomes of `mqtt_notify`.
 */
export const METRIC_ONLY_STATUSES = [
	"IMAGE_MISSING",
	"BUNDLE_MISSING",
	"BUNDLE_MISMATCH",
	"MQTT_NOTIFY_FAILED",
	"MQTT_URL_INVALID",
	"MQTT_CONFIG_INVALID",
	"MQTT_UNREACHABLE",
	"MQTT_TIMEOUT",
	"MQTT_LOGIN_REFUSED",
	"MQTT_CONNECT_REFUSED",
	"MQTT_CONNECTION_LOST",
	"MQTT_PROTOCOL_ERROR",
] as const;

// --- crash analysis (dump branch) ---
/**
 * Why a core dump could not be analysed: the `error_code` of a `failed` analysis (SPEC §10),
 * stored with the analysis and shown by the API; never the code of an HTTP error answer.
 */
export const ANALYSIS_ERROR_CODES = [
	"DUMP_TRUNCATED",
	"DUMP_CHECKSUM_MISMATCH",
	"DUMP_FORMAT_UNKNOWN",
	"DUMP_CORRUPT",
] as const satisfies readonly AnalysisErrorCode[];
// --- end crash analysis ---
