// Firmware the benchmark uploads: ESP app images laid out as esptool writes them (header,
// segments, checksum byte, appended SHA-256; esp_app_desc_t at offset 32) and bundles made
// the way the CI upload script makes them. Deterministic for a given seed.
import { createHash } from "node:crypto";
import { zipSync } from "fflate";

const CHIP_ESP32 = 0;
const APP_DESC_MAGIC = 0xabcd5432;

/** xorshift32 words: fast, repeatable, and they do not compress. */
function words(seed) {
	let x = seed >>> 0 || 0x9e3779b9;
	return () => {
		x ^= x << 13;
		x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		return x;
	};
}

/** `length` incompressible bytes. */
export function noise(length, seed = 1) {
	const out = new Uint8Array(length);
	const view = new DataView(out.buffer);
	const next = words(seed);
	let i = 0;
	for (; i + 4 <= length; i += 4) view.setUint32(i, next(), true);
	for (; i < length; i++) out[i] = next() & 0xff;
	return out;
}

/**
 * Bytes that compress about as well as an ELF with debug info (roughly 3:1 with deflate):
 * runs of a small alphabet interleaved with noise.
 */
export function elfLike(length, seed = 1) {
	const out = noise(length, seed);
	for (let i = 0; i < length; i++) if ((out[i] & 3) !== 0) out[i] &= 0x0f;
	return out;
}

/** Machine code compresses a little (about 1.3:1): every other byte has a narrow range. */
function codeLike(length, seed) {
	const out = noise(length, seed);
	for (let i = 0; i < length; i += 2) out[i] &= 0x1f;
	return out;
}

/** A linker map's worth of text. */
export function mapText(length, seed = 1) {
	const next = words(seed);
	const lines = [];
	let size = 0;
	while (size < length) {
		const address = (0x400d0000 + (next() & 0xfffff)).toString(16);
		const line = ` .text.fn_${(next() & 0xffff).toString(16)}  0x${address}  0x${(next() & 0xfff).toString(16)} esp-idf/main/libmain.a(main.c.obj)\n`;
		lines.push(line);
		size += line.length;
	}
	return new TextEncoder().encode(lines.join("").slice(0, length));
}

export const sha256Hex = (bytes) => createHash("sha256").update(bytes).digest("hex");

/**
 * An app image of about `size` bytes (rounded down to 16) for chip `chipId` (esp_chip_id_t,
 * default esp32), naming `elfSha256` (hex) in its description. Three segments; the first holds
 * esp_app_desc_t.
 */
export function buildAppImage({
	version,
	size,
	seed = 1,
	elfSha256,
	projectName = "bench",
	chipId = CHIP_ESP32,
}) {
	const header = 24;
	const first = 4096;
	const second = 1024;
	// header + 3 × (8 + data) + checksum byte, padded to 16, + 32 bytes of appended hash
	const fixed = header + 3 * 8 + first + second;
	const third = Math.floor((size - 32 - fixed - 1) / 16) * 16 + 12;
	if (third <= 0) throw new Error(`an app image needs more than ${size} bytes`);
	const segments = [first, second, third];
	const segmentsEnd = fixed + third;
	const checksumAt = Math.ceil((segmentsEnd + 1) / 16) * 16 - 1;
	const total = checksumAt + 1 + 32;
	const bytes = new Uint8Array(total);
	const view = new DataView(bytes.buffer);

	bytes.set([0xe9, segments.length, 0x02, 0x20]);
	view.setUint32(4, 0x40081234, true);
	bytes[8] = 0xee;
	view.setUint16(12, chipId, true);
	view.setUint16(17, 399, true);
	bytes[23] = 1;

	const loadAddresses = [0x3f400020, 0x3ffb0000, 0x400d0020];
	let offset = header;
	segments.forEach((length, index) => {
		view.setUint32(offset, loadAddresses[index], true);
		view.setUint32(offset + 4, length, true);
		bytes.set(codeLike(length, seed * 31 + index), offset + 8);
		offset += 8 + length;
	});

	const desc = 32;
	bytes.fill(0, desc, desc + 256);
	view.setUint32(desc, APP_DESC_MAGIC, true);
	const put = (at, max, text) => bytes.set(new TextEncoder().encode(text).subarray(0, max - 1), at);
	put(desc + 16, 32, version);
	put(desc + 48, 32, projectName);
	put(desc + 80, 16, "12:00:00");
	put(desc + 96, 16, "Jan  1 2026");
	put(desc + 112, 32, "v5.4.1");
	if (elfSha256) bytes.set(Buffer.from(elfSha256, "hex"), desc + 144);

	let checksum = 0xef;
	offset = header;
	for (const length of segments) {
		for (let i = offset + 8; i < offset + 8 + length; i++) checksum ^= bytes[i];
		offset += 8 + length;
	}
	bytes[checksumAt] = checksum;
	bytes.set(
		createHash("sha256")
			.update(bytes.subarray(0, checksumAt + 1))
			.digest(),
		checksumAt + 1,
	);
	return bytes;
}

/**
 * A bundle as `upload.sh` builds it: `<code>.bin/.elf/.map`, sdkconfig and version.json, the
 * image naming the ELF's SHA-256. The ELF is `elf` when given (a real one, for crash analysis),
 * else `elfSize` bytes that only compress like one. `level` 0 stores entries, 1–9 deflates them.
 */
export function buildBundle({
	code,
	version,
	imageSize,
	elfSize,
	mapSize,
	seed = 1,
	level = 6,
	elf = elfLike(elfSize, seed + 1000),
	chipId = CHIP_ESP32,
	target = "esp32",
}) {
	const image = buildAppImage({
		version,
		size: imageSize,
		seed,
		elfSha256: sha256Hex(elf),
		chipId,
	});
	const text = (s) => new TextEncoder().encode(s);
	const zip = zipSync(
		{
			[`${code}.bin`]: image,
			[`${code}.elf`]: elf,
			[`${code}.map`]: mapText(mapSize, seed),
			sdkconfig: text(`CONFIG_IDF_TARGET="${target}"\nCONFIG_APP_PROJECT_VER_FROM_CONFIG=y\n`),
			"version.json": text(
				JSON.stringify({
					git_commit: "0123456789abcdef0123456789abcdef01234567",
					idf_version: "v5.4.1",
					firmware_version: version,
				}),
			),
		},
		{ level },
	);
	return { zip, image, imageSha256: sha256Hex(image) };
}
