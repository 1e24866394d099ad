import { BadRequest } from "../errors";
import { readAppDesc } from "./app-desc";
import {
	HEADER_SIZE,
	hexByte,
	readHeader,
	readSegments,
	segmentChecksum,
} from "./app-image-layout";
import { sha256Hex, toHex } from "./hex";

/**
 * The ESP app image (.bin) checked as an ESP-IDF bootloader or OTA update checks it
 * (bootloader_support/src/esp_image_format.c), little-endian:
 *
 *   header (24 bytes)   magic 0xE9 @0, segment count @1, SPI mode/speed/size @2–3, entry u32 @4,
 *                       chip id u16 @12, min/max chip rev full u16 @15/@17, hash appended @23
 *   segments            each { load_addr u32, data_len u32, data }; the first one's data starts
 *                       with esp_app_desc_t (see app-desc.ts)
 *   checksum            zero padding, then one byte = 0xEF XOR every segment data byte, as the
 *                       last byte of a 16-byte block
 *   appended hash       when hash appended = 1: SHA-256 of every byte before it
 *
 * Bytes after the image (after the hash, or after the checksum block without one) are accepted
 * and kept: a device reads the image only up to there. They are a Secure Boot signature (V1: a
 * 68-byte block right after the hash; V2: padding to a 4 KiB boundary, then a 4 KiB signature
 * sector) or padding to a flash boundary. The bootloader bounds the image by its partition, not
 * by what follows it, so refusing them would refuse real signed images. `size` and `sha256`
 * cover the file as uploaded (what devices download); `imageLength` is where the image ends.
 *
 * Stricter than a device on purpose: hash appended must be 0 or 1 (a device takes any non-zero
 * byte as 1), the chip must be one we know, and esp_app_desc_t and its version must be valid.
 * Load addresses are not checked: which are valid depends on the chip's memory map.
 *
 * Nothing is allocated from a length read out of the input: segments are read through views
 * that were first checked to lie inside the file.
 */
export interface AppImageInfo {
	/** Bytes in the file as uploaded. */
	size: number;
	/** SHA-256 (hex) of the file as uploaded. */
	sha256: string;
	chip: string;
	chipId: number;
	minChipRevFull: number;
	maxChipRevFull: number;
	entryPoint: number;
	segmentCount: number;
	hashAppended: boolean;
	version: string;
	projectName: string;
	idfVersion: string;
	secureVersion: number;
	compileTime: string;
	compileDate: string;
	/** SHA-256 (hex) of the ELF the image was made from; null when the build left it all zero. */
	elfSha256: string | null;
	/** Where the image ends: after the appended hash, or after the checksum block. */
	imageLength: number;
	/**
	 * What a device running this image reports from `esp_partition_get_sha256()` (hex): the
	 * appended hash when there is one, else the SHA-256 of the image's first `imageLength` bytes.
	 */
	partitionSha256: string;
}

const HASH_SIZE = 32;

export async function parseAppImage(bytes: Uint8Array): Promise<AppImageInfo> {
	const header = readHeader(bytes);
	const segments = readSegments(bytes, header.segmentCount);
	const last = segments[segments.length - 1];
	const segmentsEnd = last ? last.dataOffset + last.length : HEADER_SIZE;

	// Zero padding after the data, then the checksum as the last byte of a 16-byte block.
	const checksumOffset = Math.ceil((segmentsEnd + 1) / 16) * 16 - 1;
	if (bytes.length <= checksumOffset) {
		throw new BadRequest("IMAGE_CHECKSUM_TRUNCATED", "The image ends before its checksum byte.", {
			offset: checksumOffset,
			size: bytes.length,
		});
	}
	const hashOffset = checksumOffset + 1;
	const imageLength = hashOffset + (header.hashAppended ? HASH_SIZE : 0);
	if (bytes.length < imageLength) {
		throw new BadRequest("IMAGE_HASH_TRUNCATED", "The image ends inside its appended SHA-256.", {
			offset: hashOffset,
			expected_end: imageLength,
			size: bytes.length,
		});
	}

	const checksum = segmentChecksum(bytes, segments);
	const stored = bytes[checksumOffset] ?? 0;
	if (checksum !== stored) {
		throw new BadRequest(
			"IMAGE_CHECKSUM_MISMATCH",
			"The image's checksum byte does not match its segment data: the file is corrupt.",
			{ offset: checksumOffset, expected: hexByte(checksum), actual: hexByte(stored) },
		);
	}

	// What a device hashes: everything before the appended hash (or the whole image without one).
	const imageDigest = await sha256Hex(bytes.subarray(0, hashOffset));
	if (header.hashAppended) {
		const appended = toHex(bytes.subarray(hashOffset, imageLength));
		if (appended !== imageDigest) {
			throw new BadRequest(
				"IMAGE_HASH_MISMATCH",
				"The image's appended SHA-256 does not match its contents: the file is corrupt.",
				{ offset: hashOffset, expected: imageDigest, actual: appended },
			);
		}
	}

	const desc = readAppDesc(bytes, segments[0]?.length ?? 0);
	const fileDigest = bytes.length === hashOffset ? imageDigest : await sha256Hex(bytes);
	return {
		size: bytes.length,
		sha256: fileDigest,
		chip: header.chip,
		chipId: header.chipId,
		minChipRevFull: header.minChipRevFull,
		maxChipRevFull: header.maxChipRevFull,
		entryPoint: header.entryPoint,
		segmentCount: header.segmentCount,
		hashAppended: header.hashAppended,
		version: desc.version,
		projectName: desc.projectName,
		idfVersion: desc.idfVersion,
		secureVersion: desc.secureVersion,
		compileTime: desc.compileTime,
		compileDate: desc.compileDate,
		elfSha256: desc.elfSha256 ? toHex(desc.elfSha256) : null,
		imageLength,
		partitionSha256: imageDigest,
	};
}
