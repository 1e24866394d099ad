import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { type AppImageInfo, parseAppImage } from "../../src/lib/app-image";
import { KNOWN_CHIPS } from "../../src/lib/chips";
import { FIRMWARE_VERSION } from "../../src/lib/identifiers";
import { buildAppImage, buildAppImageWithLayout, OFFSETS } from "../fixtures/app-image";

/** Resolves to the info, or to the error when the parser refused: anything else fails the run. */
async function outcome(bytes: Uint8Array): Promise<AppImageInfo | AppError> {
	try {
		return await parseAppImage(bytes);
	} catch (error) {
		expect(error).toBeInstanceOf(AppError);
		expect((error as AppError).status).toBe(400);
		expect((error as AppError).code).toMatch(/^IMAGE_[A-Z_]+$/);
		return error as AppError;
	}
}

const byte = fc.integer({ min: 0, max: 255 });

describe("parseAppImage on arbitrary input", () => {
	let bases: Uint8Array[] = [];
	beforeAll(async () => {
		bases = [
			await buildAppImage({ segmentSizes: [256, 64, 8] }),
			await buildAppImage({ segmentSizes: [300, 4], hashAppended: false, seed: 5 }),
		];
	});

	it("answers random bytes with a 400 or an image, never anything else", async () => {
		const input = fc.oneof(
			fc.uint8Array({ maxLength: 600 }),
			fc.uint8Array({ minLength: 23, maxLength: 600 }).map((b) => {
				b[0] = 0xe9; // get past the magic check so the deeper paths run
				return b;
			}),
		);
		await fc.assert(
			fc.asyncProperty(input, async (bytes) => void (await outcome(bytes))),
			{
				numRuns: 300,
			},
		);
	});

	it("answers mutated and truncated valid images with a 400 or an image", async () => {
		const edit = fc.record({
			offset: fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 700 })),
			value: byte,
		});
		const mutation = fc.record({
			base: fc.nat({ max: 1 }),
			edits: fc.array(edit, { maxLength: 6 }),
			truncateTo: fc.option(fc.nat({ max: 800 }), { nil: undefined }),
		});
		await fc.assert(
			fc.asyncProperty(mutation, async ({ base, edits, truncateTo }) => {
				const image = (bases[base] ?? new Uint8Array()).slice(0, truncateTo);
				for (const { offset, value } of edits) if (offset < image.length) image[offset] = value;
				await outcome(image);
			}),
			{ numRuns: 400 },
		);
	});

	it("refuses any single flipped bit inside an image with the appended hash", async () => {
		const { bytes, layout } = await buildAppImageWithLayout({ segmentSizes: [256, 64, 8] });
		const bit = fc.record({
			offset: fc.nat({ max: layout.imageLength - 1 }),
			bit: fc.nat({ max: 7 }),
		});
		await fc.assert(
			fc.asyncProperty(
				// Clearing the hash-appended flag turns the hash into trailing bytes: still an image.
				bit.filter(({ offset, bit }) => !(offset === OFFSETS.hashAppended && bit === 0)),
				async ({ offset, bit }) => {
					const image = bytes.slice();
					image[offset] = (image[offset] ?? 0) ^ (1 << bit);
					expect(await outcome(image)).toBeInstanceOf(AppError);
				},
			),
			{ numRuns: 300 },
		);
	});

	it("reads back what the builder wrote for any valid options", async () => {
		const options = fc.record({
			chip: fc.constantFrom(...KNOWN_CHIPS),
			version: fc.stringMatching(FIRMWARE_VERSION),
			projectName: fc.stringMatching(/^[a-z0-9_-]{0,31}$/),
			secureVersion: fc.nat(),
			hashAppended: fc.boolean(),
			segmentSizes: fc.array(
				fc.nat({ max: 64 }).map((n) => n * 4),
				{ maxLength: 15 },
			),
			seed: fc.nat(),
		});
		await fc.assert(
			fc.asyncProperty(options, async ({ segmentSizes, seed, ...o }) => {
				const image = await buildAppImage({ ...o, seed, segmentSizes: [256, ...segmentSizes] });
				const info = await parseAppImage(image);
				expect(info).toMatchObject({ ...o, segmentCount: segmentSizes.length + 1 });
				expect(info.size).toBe(image.length);
			}),
			{ numRuns: 150 },
		);
	});
});
