import { crc32 } from "../crc32";
import { chipById } from "./chip-memory";
import { corrupt, DumpError, truncated, unknownFormat } from "./dump-error";

/**
 * `core_dump_header_t`, the header ESP-IDF writes before the dump in the coredump partition
 * (esp_core_dump_types.h; esp-coredump's loader). `version` is chip id << 16 | major << 8 |
 * minor. The layout follows the version:
 * - 0.1 (before IDF 4.1): data_len, version, tasks_num, tcb_sz — 16 bytes, CRC-32
 * - 0.2: + mem_segs_num — 20 bytes, CRC-32;  0.3: + chip_rev — 24 bytes, CRC-32
 * - 1.0 / 1.1 (ELF, CRC-32 / SHA-256): data_len, version, tasks_num, tcb_sz, segs — 20 bytes
 * - 1.2 / 1.3 (ELF, CRC-32 / SHA-256): + chip_rev — 24 bytes
 * - 1.4 (ELF, SHA-256, IDF 5.4+): data_len, version, chip_rev — 12 bytes
 * The checksum (4 or 32 bytes) ends the image and covers [0, data_len − checksum size).
 */
export interface DumpHeader {
	format: "elf" | "binary";
	major: number;
	minor: number;
	chipId: number;
	chipRev: number | null;
	checksum: "crc32" | "sha256";
	headerSize: number;
	dataLength: number;
	taskCount: number;
	tcbSize: number;
	segmentCount: number;
}

interface Layout {
	size: number;
	checksum: "crc32" | "sha256";
	/** Offset of chip_rev, or null. */
	chipRevAt: number | null;
}

const LAYOUTS = new Map<number, Layout>([
	[0x0001, { size: 16, checksum: "crc32", chipRevAt: null }],
	[0x0002, { size: 20, checksum: "crc32", chipRevAt: null }],
	[0x0003, { size: 24, checksum: "crc32", chipRevAt: 20 }],
	[0x0100, { size: 20, checksum: "crc32", chipRevAt: null }],
	[0x0101, { size: 20, checksum: "sha256", chipRevAt: null }],
	[0x0102, { size: 24, checksum: "crc32", chipRevAt: 20 }],
	[0x0103, { size: 24, checksum: "sha256", chipRevAt: 20 }],
	[0x0104, { size: 12, checksum: "sha256", chipRevAt: 8 }],
]);

export const CHECKSUM_SIZE = { crc32: 4, sha256: 32 } as const;

/**
 * The header at the start of `bytes`, or null when they do not start with one (an unknown
 * version or chip). Throws DUMP_TRUNCATED when a known header is cut short.
 */
export function readHeader(bytes: Uint8Array): DumpHeader | null {
	if (bytes.length < 8) return null;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const version = view.getUint32(4, true);
	const layout = LAYOUTS.get(version & 0xffff);
	const chipId = version >>> 16;
	if (!layout || !chipById(chipId)) return null;
	if (bytes.length < layout.size) throw truncated("the core dump header is cut short");
	const word = (at: number) => view.getUint32(at, true);
	const binary = (version & 0xff00) === 0;
	return {
		format: binary ? "binary" : "elf",
		major: (version >>> 8) & 0xff,
		minor: version & 0xff,
		chipId,
		chipRev: layout.chipRevAt === null ? null : word(layout.chipRevAt),
		checksum: layout.checksum,
		headerSize: layout.size,
		dataLength: word(0),
		taskCount: binary ? word(8) : 0,
		tcbSize: binary ? word(12) : 0,
		segmentCount: layout.size >= 20 && binary ? word(16) : 0,
	};
}

/**
 * Checks data_len against the bytes and the stored checksum against the data; returns the
 * body between header and checksum. Bytes after data_len (the rest of a partition) are ignored.
 */
export async function verifiedBody(bytes: Uint8Array, header: DumpHeader): Promise<Uint8Array> {
	const checksumSize = CHECKSUM_SIZE[header.checksum];
	if (header.dataLength < header.headerSize + checksumSize) {
		throw corrupt(`data_len ${header.dataLength} is smaller than its header and checksum`);
	}
	if (bytes.length < header.dataLength) {
		throw truncated(`the dump holds ${bytes.length} of its ${header.dataLength} bytes`);
	}
	const covered = bytes.subarray(0, header.dataLength - checksumSize);
	const stored = bytes.subarray(covered.length, header.dataLength);
	if (!(await checksumMatches(header.checksum, covered, stored))) {
		throw new DumpError("DUMP_CHECKSUM_MISMATCH", `the ${header.checksum} checksum does not match`);
	}
	return bytes.subarray(header.headerSize, covered.length);
}

async function checksumMatches(
	kind: "crc32" | "sha256",
	covered: Uint8Array,
	stored: Uint8Array,
): Promise<boolean> {
	if (kind === "crc32") {
		const expected = new DataView(stored.buffer, stored.byteOffset, 4).getUint32(0, true);
		return crc32(covered) === expected;
	}
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", covered));
	return digest.every((b, i) => b === stored[i]);
}

/** The refusal for bytes that are none of the forms we know. */
export function notACoreDump(): DumpError {
	return unknownFormat("not an ESP-IDF core dump (raw image, ELF core or UART text)");
}
