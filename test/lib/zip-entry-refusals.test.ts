import { inflateSync } from "fflate";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory, type ZipEntry } from "../../src/lib/zip/central-directory";
import { openEntry, readEntry } from "../../src/lib/zip/entry-stream";
import { bytesOf, type RawEntry, writeZip, zeroBomb } from "../fixtures/zip";
import { collect, metered, only, refusal } from "../helpers/zip-entries";

async function streamRefusal(entry: RawEntry, code: string) {
	const opened = await only(entry);
	const { error, received } = await collect(await openEntry(opened.source, opened.entry));
	expect(error).toBeInstanceOf(AppError);
	expect((error as AppError).code).toBe(code);
	expect((error as AppError).status).toBe(400);
	return { error: error as AppError, received };
}

describe("the entry stream refuses", () => {
	it("(the fixture's zero bomb inflates to exactly the zeros it is asked for)", () => {
		for (const size of [1, 258, 259, 517, 8 * 258 * 3 + 259 + 300]) {
			expect(inflateSync(zeroBomb(size))).toEqual(new Uint8Array(size));
		}
	});

	it("a zip bomb whose declared size lies, after at most one slice past the declaration", async () => {
		const declared = 1024 * 1024;
		const data = zeroBomb(1024 ** 3);
		const zip = writeZip({
			entries: [{ name: "bomb", data, uncompressedSize: declared, crc32: 0 }],
		});
		const { source, meter } = metered(zip.bytes);
		const [entry] = await readCentralDirectory(source, { maxEntries: 64 });
		const { error, received } = await collect(await openEntry(source, entry as ZipEntry));
		expect((error as AppError).code).toBe("ZIP_SIZE_MISMATCH");
		expect(received).toBeLessThanOrEqual(declared);
		const inflated = (error as AppError).details?.inflated_at_least as number;
		expect(inflated).toBeGreaterThan(declared);
		expect(inflated).toBeLessThanOrEqual(declared + 1032 * 4104 + 258);
		expect(meter.streamed).toBeLessThanOrEqual(128 * 1024);
		expect(meter.streamed).toBeLessThan(data.length / 50);
		expect(meter.cancelled).toBe(true);
	});

	it("deflate data inflating past its declared size, before passing the excess on", async () => {
		const content = "x".repeat(100);
		const { received } = await streamRefusal(
			{ name: "d", content, uncompressedSize: 60 },
			"ZIP_SIZE_MISMATCH",
		);
		expect(received).toBe(0);
	});

	it("data shorter than declared, at the end", async () => {
		const { error } = await streamRefusal(
			{ name: "d", content: "abc", uncompressedSize: 4 },
			"ZIP_SIZE_MISMATCH",
		);
		expect(error.details).toMatchObject({ entry: "d", declared_size: 4, inflated_size: 3 });
	});

	it("a CRC-32 that does not match, stored or deflated", async () => {
		for (const method of [0, 8]) {
			const { error } = await streamRefusal(
				{ name: "c", method, content: "abc", crc32: 1 },
				"ZIP_CRC_MISMATCH",
			);
			expect(error.details).toMatchObject({ entry: "c", declared_crc32: 1 });
		}
	});

	it("deflate data that is damaged, cut short, or followed by more bytes", async () => {
		const good = writeZip({ entries: [{ name: "g", content: "hello hello hello" }] });
		const [entry] = await readCentralDirectory(memorySource(good.bytes), { maxEntries: 64 });
		const data = good.bytes.subarray(30 + 1, 30 + 1 + (entry as ZipEntry).compressedSize);
		const cases = [
			new Uint8Array([0xff, 0xff, 0xff, 0xff]),
			data.subarray(0, data.length - 2),
			new Uint8Array([...data, 0x00, 0x00]),
			new Uint8Array(0),
		];
		for (const bad of cases) {
			await streamRefusal(
				{ name: "g", content: "hello hello hello", data: bad },
				"ZIP_DEFLATE_CORRUPT",
			);
		}
	});
});

describe("openEntry refuses local headers that", () => {
	it("are not local headers", async () => {
		const entries: RawEntry[] = [
			{ name: "a", content: "x" },
			{ name: "b", content: "y", localExtra: new Uint8Array(10) },
		];
		const laidOut = writeZip({ entries });
		(entries[1] as RawEntry).localHeaderOffset = (laidOut.localOffsets[1] as number) + 1;
		const source = memorySource(writeZip({ entries }).bytes);
		const read = await readCentralDirectory(source, { maxEntries: 64 });
		expect(await readEntry(source, read[0] as ZipEntry, 1)).toEqual(bytesOf("x"));
		const error = await refusal(openEntry(source, read[1] as ZipEntry));
		expect([error.code, error.details]).toEqual(["ZIP_LOCAL_HEADER_INVALID", { entry: "b" }]);
	});

	it("name the entry otherwise", async () => {
		for (const localName of ["b", "aa", "A"]) {
			const { source, entry } = await only({ name: "a", localName, content: "x" });
			expect((await refusal(openEntry(source, entry))).code).toBe("ZIP_NAME_MISMATCH");
		}
	});

	it("declare another method, CRC or size", async () => {
		const cases = [
			[{ method: 0 }, "method"],
			[{ crc32: 5 }, "crc32"],
			[{ compressedSize: 1 }, "compressed size"],
			[{ uncompressedSize: 1 }, "size"],
		] as const;
		for (const [local, field] of cases) {
			const { source, entry } = await only({ name: "a", content: "xyz", local });
			const error = await refusal(openEntry(source, entry));
			expect([error.code, error.details]).toEqual([
				"ZIP_LOCAL_HEADER_MISMATCH",
				{ entry: "a", field },
			]);
		}
	});

	it("say the entry is encrypted", async () => {
		const { source, entry } = await only({ name: "a", content: "x", local: { flags: 0x0801 } });
		expect((await refusal(openEntry(source, entry))).code).toBe("ZIP_ENCRYPTED");
	});

	it("carry an extra field that pushes the data into the next entry", async () => {
		const laidOut = writeZip({
			entries: [{ name: "a", content: "x", localExtra: new Uint8Array(100) }, { name: "b" }],
		});
		const zip = writeZip({
			entries: [
				{ name: "a", content: "x", localExtra: new Uint8Array(100) },
				{ name: "b", localHeaderOffset: (laidOut.localOffsets[1] as number) - 50 },
			],
		});
		const source = memorySource(zip.bytes);
		const entries = await readCentralDirectory(source, { maxEntries: 64 });
		const error = await refusal(openEntry(source, entries[0] as ZipEntry));
		expect(error.code).toBe("ZIP_ENTRY_OUT_OF_RANGE");
	});
});
