// Firmware for the load run (bench/load.mjs): valid ESP app images and ZIP bundles, the way
// ESP-IDF lays them out (header, segments starting with esp_app_desc_t, checksum byte, appended
// SHA-256), deterministic for a seed and incompressible like real code.
import { createHash } from "node:crypto";
import { zipSync } from "fflate";

const SEGMENT_ADDRESSES = [0x3f400020, 0x3ffb0000, 0x40080000];

export const sha256Hex = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** xorshift32 bytes: fast, and incompressible enough to look like code. */
export function noise(length, seed) {
	const out = new Uint8Array(length);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < length; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

/** esp_app_desc_t: magic, secure_version, version, project, time, date, IDF version, ELF hash. */
function appDescriptor(version, elfSha256) {
	const desc = new Uint8Array(256);
	const view = new DataView(desc.buffer);
	view.setUint32(0, 0xabcd5432, true);
	const put = (offset, size, text) =>
		desc.set(new TextEncoder().encode(text).subarray(0, size - 1), offset);
	put(16, 32, version);
	put(48, 32, "fleet_load");
	put(80, 16, "12:00:00");
	put(96, 16, "Jan  1 2026");
	put(112, 32, "v5.4.1");
	desc.set(Buffer.from(elfSha256, "hex"), 144);
	return desc;
}

/** An esp32 app image of about `size` bytes whose descriptor names `elfSha256`. */
export function buildImage({ version, seed, size, elfSha256 }) {
	const first = 1024;
	const second = 4096;
	const third = Math.max(4, Math.floor((size - 24 - 3 * 8 - first - second - 48) / 4) * 4);
	const lengths = [first, second, third];
	const body = 24 + lengths.reduce((n, len) => n + 8 + len, 0);
	const checksumAt = Math.ceil((body + 1) / 16) * 16 - 1;
	const image = new Uint8Array(checksumAt + 1 + 32);
	const view = new DataView(image.buffer);
	image.set([0xe9, lengths.length, 0x02, 0x20]);
	view.setUint32(4, 0x40081000, true);
	image[8] = 0xee;
	view.setUint16(12, 0, true); // esp32
	view.setUint16(17, 399, true);
	image[23] = 1; // SHA-256 appended
	let offset = 24;
	let checksum = 0xef;
	lengths.forEach((length, i) => {
		view.setUint32(offset, SEGMENT_ADDRESSES[i], true);
		view.setUint32(offset + 4, length, true);
		const data = i === 0 ? new Uint8Array(length) : noise(length, seed * 31 + i);
		if (i === 0) data.set(appDescriptor(version, elfSha256));
		image.set(data, offset + 8);
		for (const b of data) checksum ^= b;
		offset += 8 + length;
	});
	image[checksumAt] = checksum;
	image.set(
		createHash("sha256")
			.update(image.subarray(0, checksumAt + 1))
			.digest(),
		checksumAt + 1,
	);
	return image;
}

/** A CI build of `model`: image, ELF, map, sdkconfig and version.json, and the ZIP of them. */
export function buildRelease(model, { version, seed, imageSize, elfSize }) {
	const elf = noise(elfSize, seed + 1000);
	const image = buildImage({ version, seed, size: imageSize, elfSha256: sha256Hex(elf) });
	const text = (s) => new TextEncoder().encode(s);
	const zip = zipSync(
		{
			[`${model}.bin`]: [image, { level: 0 }],
			[`${model}.elf`]: [elf, { level: 0 }],
			[`${model}.map`]: text(`Memory map of ${model} ${version}\n`.repeat(2000)),
			sdkconfig: text('CONFIG_IDF_TARGET="esp32"\n'),
			"version.json": text(
				JSON.stringify({
					git_commit: sha256Hex(text(version)).slice(0, 40),
					idf_version: "v5.4.1",
					firmware_version: version,
				}),
			),
		},
		{ level: 6 },
	);
	return { version, image, zip, sha256: sha256Hex(image), zipSha256: sha256Hex(zip) };
}
