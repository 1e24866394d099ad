/**
 * The header and segment table of an ESP app image, checked in the order ESP-IDF's
 * esp_image_format.c checks them. The layout and what is accepted: app-image.ts.
 */
import { BadRequest } from "../errors";
import { chipName } from "./chips";

export const HEADER_SIZE = 24;
const SEGMENT_HEADER_SIZE = 8;
const IMAGE_MAGIC = 0xe9;
/** ESP_IMAGE_MAX_SEGMENTS. */
const MAX_SEGMENTS = 16;
/** The bootloader refuses a segment of 16 MiB or more. */
const SEGMENT_LENGTH_LIMIT = 0x1000000;
const CHECKSUM_SEED = 0xef;

export interface ImageHeader {
	segmentCount: number;
	hashAppended: boolean;
	chipId: number;
	chip: string;
	entryPoint: number;
	minChipRevFull: number;
	maxChipRevFull: number;
}

export interface Segment {
	dataOffset: number;
	length: number;
}

/** Checks the 24-byte header the way a device does before it reads any segment. */
export function readHeader(bytes: Uint8Array): ImageHeader {
	if (bytes.length > 0 && bytes[0] !== IMAGE_MAGIC) {
		throw new BadRequest(
			"IMAGE_BAD_MAGIC",
			"The file is not an ESP app image: it must start with the byte 0xE9.",
			{ offset: 0, expected: hexByte(IMAGE_MAGIC), actual: hexByte(bytes[0] ?? 0) },
		);
	}
	if (bytes.length < HEADER_SIZE) {
		throw new BadRequest(
			"IMAGE_HEADER_TRUNCATED",
			`The file is ${bytes.length} bytes, shorter than the ${HEADER_SIZE}-byte app image header.`,
			{ size: bytes.length, minimum: HEADER_SIZE },
		);
	}
	const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
	const segmentCount = view.getUint8(1);
	if (segmentCount < 1 || segmentCount > MAX_SEGMENTS) {
		throw new BadRequest(
			"IMAGE_SEGMENT_COUNT_INVALID",
			`The image header declares ${segmentCount} segments; an app image has 1 to ${MAX_SEGMENTS}.`,
			{ offset: 1, segment_count: segmentCount, minimum: 1, maximum: MAX_SEGMENTS },
		);
	}
	const hashByte = view.getUint8(23);
	if (hashByte > 1) {
		throw new BadRequest(
			"IMAGE_HASH_APPENDED_INVALID",
			"The image header's hash-appended flag must be 0 or 1.",
			{ offset: 23, actual: hashByte },
		);
	}
	const chipId = view.getUint16(12, true);
	const chip = chipName(chipId);
	if (chip === undefined) {
		throw new BadRequest(
			"IMAGE_CHIP_UNKNOWN",
			`The image is built for chip id ${chipId}, which is not a chip this service knows.`,
			{ offset: 12, chip_id: chipId },
		);
	}
	return {
		segmentCount,
		hashAppended: hashByte === 1,
		chipId,
		chip,
		entryPoint: view.getUint32(4, true),
		minChipRevFull: view.getUint16(15, true),
		maxChipRevFull: view.getUint16(17, true),
	};
}

/** Walks the segment table; every segment returned lies inside `bytes`. */
export function readSegments(bytes: Uint8Array, count: number): Segment[] {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const segments: Segment[] = [];
	let offset = HEADER_SIZE;
	for (let index = 0; index < count; index++) {
		if (bytes.length < offset + SEGMENT_HEADER_SIZE) {
			throw new BadRequest(
				"IMAGE_SEGMENT_HEADER_TRUNCATED",
				`The image ends inside the header of segment ${index}.`,
				{ segment: index, offset, size: bytes.length },
			);
		}
		const length = view.getUint32(offset + 4, true);
		if (length >= SEGMENT_LENGTH_LIMIT) {
			throw new BadRequest(
				"IMAGE_SEGMENT_TOO_LARGE",
				`Segment ${index} declares ${length} bytes; a device refuses segments of 16 MiB or more.`,
				{ segment: index, offset: offset + 4, length, limit: SEGMENT_LENGTH_LIMIT },
			);
		}
		if (length % 4 !== 0) {
			throw new BadRequest(
				"IMAGE_SEGMENT_LENGTH_UNALIGNED",
				`Segment ${index} declares ${length} bytes; segment lengths are multiples of 4.`,
				{ segment: index, offset: offset + 4, length },
			);
		}
		const dataOffset = offset + SEGMENT_HEADER_SIZE;
		if (bytes.length < dataOffset + length) {
			throw new BadRequest(
				"IMAGE_SEGMENT_DATA_TRUNCATED",
				`Segment ${index} declares ${length} bytes but the file ends before them.`,
				{ segment: index, offset: dataOffset, length, available: bytes.length - dataOffset },
			);
		}
		segments.push({ dataOffset, length });
		offset = dataOffset + length;
	}
	return segments;
}

/** The checksum a device computes: 0xEF XOR every byte of every segment's data. */
export function segmentChecksum(bytes: Uint8Array, segments: readonly Segment[]): number {
	return segments.reduce((acc, s) => xorBytes(bytes, s.dataOffset, s.length, acc), CHECKSUM_SEED);
}

/** XOR of `length` bytes from `start` into `acc`; word-wise where the memory is 4-aligned. */
function xorBytes(bytes: Uint8Array, start: number, length: number, acc: number): number {
	let i = start;
	const end = start + length;
	if ((bytes.byteOffset + start) % 4 === 0 && length >= 64) {
		const words = new Uint32Array(bytes.buffer, bytes.byteOffset + start, length >>> 2);
		let w = 0;
		for (let k = 0; k < words.length; k++) w ^= words[k] as number;
		acc ^= w ^ (w >>> 8) ^ (w >>> 16) ^ (w >>> 24);
		i = start + words.length * 4;
	}
	for (; i < end; i++) acc ^= bytes[i] as number;
	return acc & 0xff;
}

export function hexByte(value: number): string {
	return `0x${value.toString(16).padStart(2, "0")}`;
}
