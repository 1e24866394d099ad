import { describe, expect, it } from "vitest";
import { parseAppImage } from "../../src/lib/app-image";
import { chipId, chipName, isKnownChip, KNOWN_CHIPS } from "../../src/lib/chips";
import {
	buildAppImage,
	buildAppImageWithLayout,
	flipByte,
	sha256Hex,
	toHex,
} from "../fixtures/app-image";

/** The same bytes at a given byte offset inside a larger buffer (not 4-byte aligned). */
function atOffset(bytes: Uint8Array, shift: number): Uint8Array {
	const buffer = new Uint8Array(bytes.length + shift);
	buffer.set(bytes, shift);
	return buffer.subarray(shift);
}

const ELF = "a1".repeat(32);

describe("buildAppImage lays out the bytes ESP-IDF expects", () => {
	it("writes header, segments, app description, checksum and hash at their offsets", async () => {
		const { bytes } = await buildAppImageWithLayout({
			chip: "esp32c3",
			version: "2.1.0",
			elfSha256: ELF,
			segmentSizes: [1024, 512, 256],
		});
		// 24 header + (8+1024) + (8+512) + (8+256) = 1840; checksum block ends at 1856; + hash.
		expect(bytes.length).toBe(1888);
		expect([...bytes.subarray(0, 2)]).toEqual([0xe9, 3]);
		expect([...bytes.subarray(12, 14)]).toEqual([5, 0]);
		expect(bytes[23]).toBe(1);
		expect([...bytes.subarray(24, 32)]).toEqual([0x20, 0x00, 0x40, 0x3f, 0x00, 0x04, 0x00, 0x00]);
		expect([...bytes.subarray(32, 36)]).toEqual([0x32, 0x54, 0xcd, 0xab]);
		expect([...bytes.subarray(48, 54)]).toEqual([...new TextEncoder().encode("2.1.0"), 0]);
		expect(toHex(bytes.subarray(0xb0, 0xd0))).toBe(ELF);
		let xor = 0xef;
		for (const [start, end] of [
			[32, 1056],
			[1064, 1576],
			[1584, 1840],
		] as const) {
			for (const b of bytes.subarray(start, end)) xor ^= b;
		}
		expect([...bytes.subarray(1840, 1855)]).toEqual(new Array(15).fill(0));
		expect(bytes[1855]).toBe(xor);
		expect(toHex(bytes.subarray(1856))).toBe(await sha256Hex(bytes.subarray(0, 1856)));
	});

	it("is deterministic per seed and fills a requested total size", async () => {
		const a = await buildAppImage({ seed: 3 });
		expect(toHex(await buildAppImage({ seed: 3 }))).toBe(toHex(a));
		expect(toHex(await buildAppImage({ seed: 4 }))).not.toBe(toHex(a));
		expect((await buildAppImage({ totalSize: 65536 })).length).toBe(65536);
		expect((await buildAppImage({ totalSize: 65540, hashAppended: false })).length).toBe(65536);
	});
});

describe("parseAppImage accepts valid images", () => {
	it.each(["esp32", "esp32s2", "esp32s3", "esp32c3", "esp32c6", "esp32h2", "esp32p4", "esp32c5"])(
		"%s with the appended hash",
		async (chip) => {
			const image = await buildAppImage({ chip, version: "3.0.1+build.7", elfSha256: ELF });
			const info = await parseAppImage(image);
			expect(info).toEqual({
				size: image.length,
				sha256: await sha256Hex(image),
				chip,
				chipId: chipId(chip),
				minChipRevFull: 0,
				maxChipRevFull: 399,
				entryPoint: new DataView(image.buffer).getUint32(4, true),
				segmentCount: 3,
				hashAppended: true,
				version: "3.0.1+build.7",
				projectName: "thermostat",
				idfVersion: "v5.4.1",
				secureVersion: 0,
				compileTime: "12:00:00",
				compileDate: "Jan  1 2025",
				elfSha256: ELF,
				imageLength: image.length,
				partitionSha256: toHex(image.subarray(image.length - 32)),
			});
			expect(info.partitionSha256).not.toBe(info.sha256);
		},
	);

	it.each(["esp32", "esp32c2", "esp32c61"])("%s without the appended hash", async (chip) => {
		const image = await buildAppImage({ chip, hashAppended: false, segmentSizes: [256] });
		const info = await parseAppImage(image);
		expect(info).toMatchObject({ chip, hashAppended: false, segmentCount: 1 });
		expect(info.imageLength).toBe(image.length);
		expect(info.sha256).toBe(await sha256Hex(image));
		expect(info.partitionSha256).toBe(info.sha256);
	});

	it("reads secure version, strings, and the ELF digest given as bytes or left zero", async () => {
		const elf = Uint8Array.from({ length: 32 }, (_, i) => i);
		const info = await parseAppImage(
			await buildAppImage({
				secureVersion: 7,
				projectName: "p".repeat(32),
				idfVersion: "v5.5-dev-123-gabcdef",
				elfSha256: elf,
			}),
		);
		expect(info).toMatchObject({ secureVersion: 7, idfVersion: "v5.5-dev-123-gabcdef" });
		expect(info.projectName).toBe("p".repeat(32)); // no NUL: the whole field
		expect(info.elfSha256).toBe(toHex(elf));
		expect((await parseAppImage(await buildAppImage({ elfSha256: null }))).elfSha256).toBeNull();
	});

	it("accepts the longest version and the full 16-segment table", async () => {
		const version = `9${"a".repeat(30)}`;
		const info = await parseAppImage(
			await buildAppImage({ version, segmentSizes: [256, ...new Array(15).fill(4)] }),
		);
		expect(info).toMatchObject({ version, segmentCount: 16 });
	});

	it("keeps a Secure Boot V2 signature sector after the image", async () => {
		const plain = await buildAppImage();
		const pad = 4096 - (plain.length % 4096);
		const trailer = new Uint8Array(pad + 4096).fill(0xff);
		trailer.set([0xe7, 0x02], pad); // signature block magic and version
		const signed = await buildAppImage({ trailer });
		const info = await parseAppImage(signed);
		expect(info.size).toBe(plain.length + trailer.length);
		expect(info.imageLength).toBe(plain.length);
		expect(info.sha256).toBe(await sha256Hex(signed));
		expect(info.partitionSha256).toBe((await parseAppImage(plain)).partitionSha256);
	});

	it("keeps bytes after the checksum block of an image without a hash", async () => {
		const image = await buildAppImage({ hashAppended: false, trailer: new Uint8Array(68) });
		const info = await parseAppImage(image);
		expect(info.imageLength).toBe(image.length - 68);
		expect(info.partitionSha256).toBe(await sha256Hex(image.subarray(0, info.imageLength)));
	});

	it("parses a 2 MiB image the same at any alignment in memory", async () => {
		const image = await buildAppImage({ totalSize: 2 * 1024 * 1024, seed: 9 });
		const info = await parseAppImage(image);
		expect(info.size).toBe(2 * 1024 * 1024);
		for (const shift of [1, 2, 3])
			expect(await parseAppImage(atOffset(image, shift))).toEqual(info);
		await expect(parseAppImage(atOffset(flipByte(image, 300_000), 2))).rejects.toMatchObject({
			code: "IMAGE_CHECKSUM_MISMATCH",
		});
	});
});

describe("chips", () => {
	it("maps the chip ids ESP-IDF writes to names and back", () => {
		const expected: Record<string, number> = {
			esp32: 0,
			esp32s2: 2,
			esp32c3: 5,
			esp32s3: 9,
			esp32c2: 12,
			esp32c6: 13,
			esp32h2: 16,
			esp32p4: 18,
			esp32c61: 20,
			esp32c5: 23,
		};
		for (const [name, id] of Object.entries(expected)) {
			expect(chipName(id)).toBe(name);
			expect(chipId(name)).toBe(id);
			expect(KNOWN_CHIPS).toContain(name);
		}
	});

	it("knows nothing else", () => {
		expect(chipName(1)).toBeUndefined();
		expect(chipName(0xffff)).toBeUndefined();
		for (const name of ["esp8266", "ESP32", "constructor", "toString", ""]) {
			expect(isKnownChip(name)).toBe(false);
		}
		expect(new Set(KNOWN_CHIPS).size).toBe(KNOWN_CHIPS.length);
		expect(Object.isFrozen(KNOWN_CHIPS)).toBe(true);
	});
});
