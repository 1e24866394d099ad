import { BadRequest } from "../errors";
import { isFirmwareVersion } from "./identifiers";

/**
 * `esp_app_desc_t`: the 256-byte application description ESP-IDF places at the start of an app
 * image's first segment (file offset 32). Little-endian:
 *   +0 magic u32 (0xABCD5432)   +4 secure_version u32   +8 reserved[8]
 *   +16 version[32]   +48 project_name[32]   +80 time[16]   +96 date[16]   +112 idf_ver[32]
 *   +144 app_elf_sha256[32]   +176 eFuse block revisions, MMU page size, reserved
 */
export const APP_DESC_OFFSET = 32;
export const APP_DESC_SIZE = 256;
export const APP_DESC_MAGIC = 0xabcd5432;

const VERSION = { offset: 16, size: 32 };
const PROJECT_NAME = { offset: 48, size: 32 };
const COMPILE_TIME = { offset: 80, size: 16 };
const COMPILE_DATE = { offset: 96, size: 16 };
const IDF_VERSION = { offset: 112, size: 32 };
const ELF_SHA256 = { offset: 144, size: 32 };

export interface AppDesc {
	secureVersion: number;
	version: string;
	projectName: string;
	compileTime: string;
	compileDate: string;
	idfVersion: string;
	/** The digest bytes (a view into the image), or null when the build left them all zero. */
	elfSha256: Uint8Array | null;
}

// Not fatal: bytes that are not UTF-8 become U+FFFD instead of failing the upload.
const utf8 = new TextDecoder();

/**
 * Reads the description at `APP_DESC_OFFSET`. `firstSegmentLength` is the data length of the
 * image's first segment, already known to lie inside `bytes`.
 */
export function readAppDesc(bytes: Uint8Array, firstSegmentLength: number): AppDesc {
	if (firstSegmentLength < APP_DESC_SIZE || bytes.length < APP_DESC_OFFSET + APP_DESC_SIZE) {
		throw new BadRequest(
			"IMAGE_FIRST_SEGMENT_TOO_SMALL",
			`The image's first segment is ${firstSegmentLength} bytes, too small to hold the ${APP_DESC_SIZE}-byte application description.`,
			{ offset: APP_DESC_OFFSET, length: firstSegmentLength, minimum: APP_DESC_SIZE },
		);
	}
	const desc = bytes.subarray(APP_DESC_OFFSET, APP_DESC_OFFSET + APP_DESC_SIZE);
	const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
	const magic = view.getUint32(0, true);
	if (magic !== APP_DESC_MAGIC) {
		throw new BadRequest(
			"IMAGE_APP_DESC_BAD_MAGIC",
			"The image has no application description at offset 32 (esp_app_desc_t magic word not found).",
			{ offset: APP_DESC_OFFSET, expected: hexWord(APP_DESC_MAGIC), actual: hexWord(magic) },
		);
	}
	const elf = field(desc, ELF_SHA256);
	return {
		secureVersion: view.getUint32(4, true),
		version: readVersion(desc),
		projectName: cString(desc, PROJECT_NAME),
		compileTime: cString(desc, COMPILE_TIME),
		compileDate: cString(desc, COMPILE_DATE),
		idfVersion: cString(desc, IDF_VERSION),
		elfSha256: elf.some((b) => b !== 0) ? elf : null,
	};
}

/** The version must end with a NUL inside its 32 bytes, be non-empty and follow SPEC §2. */
function readVersion(desc: Uint8Array): string {
	const raw = field(desc, VERSION);
	const offset = APP_DESC_OFFSET + VERSION.offset;
	const end = raw.indexOf(0);
	if (end < 0) {
		throw new BadRequest(
			"IMAGE_VERSION_UNTERMINATED",
			"The image's version string fills all 32 bytes without a terminating NUL.",
			{ offset, size: VERSION.size },
		);
	}
	if (end === 0) {
		throw new BadRequest("IMAGE_VERSION_EMPTY", "The image's version string is empty.", {
			offset,
		});
	}
	const version = utf8.decode(raw.subarray(0, end));
	if (!isFirmwareVersion(version)) {
		throw new BadRequest(
			"IMAGE_VERSION_INVALID",
			"The image's version must be 1–31 characters of 0-9 A-Z a-z . _ + - and not start with . or -.",
			{ offset, version },
		);
	}
	return version;
}

/**
 * A C string field: up to the first NUL. A field with no NUL is read whole, as ESP-IDF's own
 * tools print it; only the version, which reaches storage keys, is held to the stricter rule.
 */
function cString(desc: Uint8Array, at: { offset: number; size: number }): string {
	const raw = field(desc, at);
	const end = raw.indexOf(0);
	return utf8.decode(end < 0 ? raw : raw.subarray(0, end));
}

function field(desc: Uint8Array, at: { offset: number; size: number }): Uint8Array {
	return desc.subarray(at.offset, at.offset + at.size);
}

function hexWord(value: number): string {
	return `0x${value.toString(16).padStart(8, "0")}`;
}
