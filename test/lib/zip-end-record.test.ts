import { describe, expect, it } from "vitest";
import { memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory } from "../../src/lib/zip/central-directory";
import { buildBundle, writeZip } from "../fixtures/zip";
import { counted, entries, expectRefused, refusal } from "../helpers/zip-entries";

describe("readCentralDirectory refuses, from the end record and the directory,", () => {
	it("what is not a ZIP, or is cut short", async () => {
		const zip = buildBundle("m1");
		for (const bytes of [
			new Uint8Array(0),
			new TextEncoder().encode("PK\u0003\u0004 not really"),
			zip.subarray(0, zip.length - 1),
			new Uint8Array([...zip, 0]),
		]) {
			await expectRefused(bytes, "ZIP_END_RECORD_NOT_FOUND");
		}
	});

	it("an archive holding nothing but a comment", async () => {
		await expectRefused(writeZip({ entries: [], comment: "hello" }).bytes, "ZIP_EMPTY");
	});

	it("archives split over disks", async () => {
		for (const end of [{ disk: 1 }, { directoryDisk: 1 }, { diskEntries: 1 }]) {
			await expectRefused(writeZip({ entries: entries("a", "b"), end }).bytes, "ZIP_MULTI_DISK");
		}
		const onDiskTwo = writeZip({ entries: [{ name: "a", diskStart: 2 }] });
		expect((await expectRefused(onDiskTwo.bytes, "ZIP_MULTI_DISK")).details).toEqual({
			entry: "a",
		});
	});

	it("ZIP64, by its locator or by any field at its marker value", async () => {
		const cases = [
			writeZip({ entries: entries("a"), zip64Locator: true }),
			writeZip({ entries: entries("a"), end: { entries: 0xffff } }),
			writeZip({ entries: entries("a"), end: { disk: 0xffff } }),
			writeZip({ entries: entries("a"), end: { directorySize: 0xffffffff } }),
			writeZip({ entries: entries("a"), end: { directoryOffset: 0xffffffff } }),
			writeZip({ entries: [{ name: "a", uncompressedSize: 0xffffffff }] }),
			writeZip({ entries: [{ name: "a", compressedSize: 0xffffffff }] }),
			writeZip({ entries: [{ name: "a", localHeaderOffset: 0xffffffff }] }),
			writeZip({ entries: [{ name: "a", diskStart: 0xffff }] }),
		];
		for (const zip of cases) await expectRefused(zip.bytes, "ZIP_ZIP64_UNSUPPORTED");
	});

	it("thousands of entries from the end record alone, before reading the directory", async () => {
		const many = writeZip({
			entries: Array.from({ length: 5000 }, (_, i) => ({ name: `f${i}`, method: 0 })),
		});
		const { calls, source } = counted(memorySource(many.bytes));
		const error = await refusal(readCentralDirectory(source, { maxEntries: 64 }));
		expect(error.code).toBe("ZIP_TOO_MANY_ENTRIES");
		expect(error.details).toEqual({ entries: 5000, limit: 64 });
		expect(calls).toHaveLength(1);
		expect(calls[0]?.[1]).toBeLessThanOrEqual(22 + 0xffff + 20);
	});

	it("a directory holding more records than the end record admits", async () => {
		const zip = writeZip({ entries: entries("a", "b", "c"), end: { entries: 2 } });
		await expectRefused(zip.bytes, "ZIP_CENTRAL_DIRECTORY_CORRUPT");
	});

	it("a directory that is not where the end record says", async () => {
		const zip = writeZip({ entries: entries("a", "b") });
		const cases = [
			{ directoryOffset: zip.directoryOffset + 1 },
			{ directoryOffset: zip.directoryOffset - 1 },
			{ directorySize: zip.directorySize + 1 },
			{ directoryOffset: 0x7fffffff },
		];
		for (const end of cases) {
			const bytes = writeZip({ entries: entries("a", "b"), end }).bytes;
			await expectRefused(bytes, "ZIP_CENTRAL_DIRECTORY_OUT_OF_RANGE");
		}
	});

	it("a directory cut short", async () => {
		const short = writeZip({ entries: entries("a", "b"), end: { entries: 3 } });
		await expectRefused(short.bytes, "ZIP_CENTRAL_DIRECTORY_TRUNCATED");
		const longNames = entries(...["a", "b", "c"].map((c) => c.repeat(40)));
		const lastCut = writeZip({ entries: longNames, end: { entries: 4 } });
		await expectRefused(lastCut.bytes, "ZIP_CENTRAL_DIRECTORY_TRUNCATED");
	});

	it("a directory record whose signature is damaged", async () => {
		const zip = writeZip({ entries: entries("a", "b") });
		const bytes = zip.bytes.slice();
		bytes[zip.centralOffsets[1] as number] = 0x51;
		const error = await expectRefused(bytes, "ZIP_CENTRAL_DIRECTORY_CORRUPT");
		expect(error.details).toEqual({ record: 2 });
	});

	it("a directory larger than the caller allows, with 413", async () => {
		const source = memorySource(buildBundle("m1"));
		const error = await refusal(
			readCentralDirectory(source, { maxEntries: 64, maxCentralDirectoryBytes: 100 }),
		);
		expect([error.status, error.code]).toEqual([413, "ZIP_CENTRAL_DIRECTORY_TOO_LARGE"]);
	});
});
