import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { parseAppImage } from "../../src/lib/app-image";
import {
	buildAppImage,
	buildAppImageWithLayout,
	flipByte,
	OFFSETS,
	sha256Hex,
	withUint32,
} from "../fixtures/app-image";

/** Every refusal is an AppError with status 400 and its own code. */
async function expectRefusal(bytes: Uint8Array, code: string): Promise<AppError> {
	const error = await parseAppImage(bytes).then(
		() => new Error("the image was accepted"),
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(AppError);
	expect(error).toMatchObject({ status: 400, code });
	return error as AppError;
}

describe("parseAppImage refuses", () => {
	it("a file shorter than the header", async () => {
		const image = await buildAppImage();
		await expectRefusal(new Uint8Array(0), "IMAGE_HEADER_TRUNCATED");
		const e = await expectRefusal(image.subarray(0, 23), "IMAGE_HEADER_TRUNCATED");
		expect(e.details).toEqual({ size: 23, minimum: 24 });
	});

	it("a file that does not start with 0xE9", async () => {
		const e = await expectRefusal(new Uint8Array([0x50, 0x4b, 3, 4]), "IMAGE_BAD_MAGIC");
		expect(e.details).toMatchObject({ expected: "0xe9", actual: "0x50" });
		await expectRefusal(flipByte(await buildAppImage(), 0), "IMAGE_BAD_MAGIC");
	});

	it.each([0, 17, 255])("a segment count of %i", async (count) => {
		const image = (await buildAppImage()).slice();
		image[OFFSETS.segmentCount] = count;
		await expectRefusal(image, "IMAGE_SEGMENT_COUNT_INVALID");
	});

	it("a hash-appended flag other than 0 or 1", async () => {
		const image = (await buildAppImage()).slice();
		image[OFFSETS.hashAppended] = 2;
		await expectRefusal(image, "IMAGE_HASH_APPENDED_INVALID");
	});

	it.each([1, 0xffff])("chip id %i", async (id) => {
		const e = await expectRefusal(await buildAppImage({ chipId: id }), "IMAGE_CHIP_UNKNOWN");
		expect(e.details).toMatchObject({ chip_id: id });
	});

	it("an image cut anywhere in its structure", async () => {
		const { bytes, layout } = await buildAppImageWithLayout();
		const [, second, third] = layout.segments;
		if (!second || !third || layout.hashOffset === null) throw new Error("unexpected layout");
		const cut = (n: number) => bytes.subarray(0, n);
		await expectRefusal(cut(24), "IMAGE_SEGMENT_HEADER_TRUNCATED");
		await expectRefusal(cut(second.headerOffset + 7), "IMAGE_SEGMENT_HEADER_TRUNCATED");
		await expectRefusal(cut(third.dataOffset + 100), "IMAGE_SEGMENT_DATA_TRUNCATED");
		await expectRefusal(cut(third.dataOffset + third.length), "IMAGE_CHECKSUM_TRUNCATED");
		await expectRefusal(cut(layout.checksumOffset), "IMAGE_CHECKSUM_TRUNCATED");
		await expectRefusal(cut(layout.hashOffset), "IMAGE_HASH_TRUNCATED");
		await expectRefusal(cut(layout.imageLength - 1), "IMAGE_HASH_TRUNCATED");
	});

	it("a segment length past the file, absurd, or unaligned", async () => {
		const { bytes, layout } = await buildAppImageWithLayout();
		const lengthAt = (layout.segments[2]?.headerOffset ?? 0) + 4;
		const e = await expectRefusal(
			withUint32(bytes, lengthAt, 0xfffffc),
			"IMAGE_SEGMENT_DATA_TRUNCATED",
		);
		expect(e.details).toMatchObject({ segment: 2, length: 0xfffffc });
		for (const length of [0x1000000, 0xfffffffc]) {
			const big = await expectRefusal(withUint32(bytes, 28, length), "IMAGE_SEGMENT_TOO_LARGE");
			expect(big.details).toMatchObject({ segment: 0, length, limit: 0x1000000 });
		}
		await expectRefusal(withUint32(bytes, 28, 1026), "IMAGE_SEGMENT_LENGTH_UNALIGNED");
	});

	it("a changed byte in any segment's data or in the checksum", async () => {
		for (const hashAppended of [true, false]) {
			const { bytes, layout } = await buildAppImageWithLayout({ hashAppended });
			for (const s of layout.segments) {
				await expectRefusal(
					flipByte(bytes, s.dataOffset + s.length - 1, 0x10),
					"IMAGE_CHECKSUM_MISMATCH",
				);
			}
			const e = await expectRefusal(
				flipByte(bytes, layout.checksumOffset),
				"IMAGE_CHECKSUM_MISMATCH",
			);
			expect(e.details).toMatchObject({ offset: layout.checksumOffset });
		}
	});

	it("a change the checksum cannot see when the hash is appended", async () => {
		const { bytes, layout } = await buildAppImageWithLayout();
		const hashOffset = layout.hashOffset ?? 0;
		const twoFlips = flipByte(flipByte(bytes, 40, 0x04), 1000, 0x04);
		await expectRefusal(twoFlips, "IMAGE_HASH_MISMATCH");
		await expectRefusal(flipByte(bytes, 24), "IMAGE_HASH_MISMATCH"); // a load address
		await expectRefusal(flipByte(bytes, 4), "IMAGE_HASH_MISMATCH"); // the entry point
		await expectRefusal(flipByte(bytes, layout.checksumOffset - 1), "IMAGE_HASH_MISMATCH");
		const e = await expectRefusal(flipByte(bytes, hashOffset + 31), "IMAGE_HASH_MISMATCH");
		expect(e.details).toMatchObject({
			offset: hashOffset,
			expected: await sha256Hex(bytes.subarray(0, hashOffset)),
		});
	});

	it("but, like a device, not changed padding when no hash is appended", async () => {
		const { bytes, layout } = await buildAppImageWithLayout({ hashAppended: false });
		await expect(parseAppImage(flipByte(bytes, layout.checksumOffset - 1))).resolves.toBeDefined();
	});

	it("a first segment too small for the application description", async () => {
		const e = await expectRefusal(
			await buildAppImage({ segmentSizes: [252, 512] }),
			"IMAGE_FIRST_SEGMENT_TOO_SMALL",
		);
		expect(e.details).toMatchObject({ length: 252, minimum: 256 });
	});

	it("an application description without its magic word", async () => {
		const e = await expectRefusal(
			await buildAppImage({ appDescMagic: 0x12345678 }),
			"IMAGE_APP_DESC_BAD_MAGIC",
		);
		expect(e.details).toMatchObject({ offset: 32, expected: "0xabcd5432", actual: "0x12345678" });
	});

	it("a version without a terminating NUL", async () => {
		await expectRefusal(
			await buildAppImage({ version: "1".repeat(32) }),
			"IMAGE_VERSION_UNTERMINATED",
		);
	});

	it("an empty version", async () => {
		await expectRefusal(await buildAppImage({ version: "" }), "IMAGE_VERSION_EMPTY");
	});

	it.each(["-1.0", ".1", "1.0 beta", "v1/2", "1.0\u00e9", "1.0\u0001"])(
		"version %j",
		async (version) => {
			await expectRefusal(await buildAppImage({ version }), "IMAGE_VERSION_INVALID");
		},
	);
});
