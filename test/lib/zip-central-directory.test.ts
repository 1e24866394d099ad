import { describe, expect, it } from "vitest";
import { memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory } from "../../src/lib/zip/central-directory";
import {
	buildBundle,
	bundleFiles,
	bundleNames,
	type RawEntry,
	referenceCrc32,
	writeZip,
} from "../fixtures/zip";
import { counted, entries, expectRefused, read } from "../helpers/zip-entries";

describe("readCentralDirectory accepts", () => {
	it("a deflated bundle, declaring what fflate wrote", async () => {
		const files = bundleFiles();
		const names = bundleNames("m1");
		const list = await read(buildBundle("m1"));
		expect(list.map((e) => e.name)).toEqual(Object.values(names));
		for (const key of Object.keys(names) as (keyof typeof names)[]) {
			const entry = list.find((e) => e.name === names[key]);
			expect(entry?.method).toBe(8);
			expect(entry?.uncompressedSize).toBe(files[key].length);
			expect(entry?.crc32).toBe(referenceCrc32(files[key]));
		}
	});

	it("a stored bundle", async () => {
		const list = await read(buildBundle("m1", {}, { level: 0 }));
		expect(list.every((e) => e.method === 0 && e.compressedSize === e.uncompressedSize)).toBe(true);
	});

	it("gives each entry the end its data must keep: the next header, then the directory", async () => {
		const zip = writeZip({ entries: entries("a", "b", "c") });
		const list = await read(zip.bytes);
		expect(list.map((e) => e.localHeaderOffset)).toEqual(zip.localOffsets);
		expect(list.map((e) => e.dataLimit)).toEqual([
			...zip.localOffsets.slice(1),
			zip.directoryOffset,
		]);
	});

	it("UTF-8 names, a comment, and a fake end record inside the comment", async () => {
		const comment = "built by CI PK\u0005\u0006 not an end record";
		const list = await read(writeZip({ entries: entries("é/ü.txt"), comment }).bytes);
		expect(list.map((e) => e.name)).toEqual(["é/ü.txt"]);
	});

	it("a directory behind a 64 KiB comment, with a second read", async () => {
		const zip = writeZip({ entries: entries("a", "b"), comment: "c".repeat(0xffff) });
		const { calls, source } = counted(memorySource(zip.bytes));
		const list = await readCentralDirectory(source, { maxEntries: 64 });
		expect(list).toHaveLength(2);
		expect(calls).toHaveLength(2);
		expect(calls[1]).toEqual([zip.directoryOffset, zip.directorySize]);
	});

	it("a small directory with a single read of the tail", async () => {
		const { calls, source } = counted(memorySource(buildBundle("m1")));
		await readCentralDirectory(source, { maxEntries: 64 });
		expect(calls).toHaveLength(1);
	});
});

describe("readCentralDirectory refuses entries", () => {
	it("encrypted entries", async () => {
		for (const entry of [
			{ name: "x", flags: 0x0001 },
			{ name: "x", flags: 0x0041 },
			{ name: "x", flags: 0x2000 },
			{ name: "x", method: 99 },
		]) {
			const error = await expectRefused(writeZip({ entries: [entry] }).bytes, "ZIP_ENCRYPTED");
			expect(error.details).toEqual({ entry: "x" });
		}
	});

	it("methods other than stored and deflate", async () => {
		for (const method of [1, 9, 12, 14, 93, 95]) {
			const error = await expectRefused(
				writeZip({ entries: [{ name: "x", method }] }).bytes,
				"ZIP_UNSUPPORTED_METHOD",
			);
			expect(error.details).toEqual({ entry: "x", method });
			expect(error.message).toContain(`method ${method}`);
		}
	});

	it("names that are empty, not UTF-8, or hold control characters", async () => {
		for (const name of ["", new Uint8Array([0x61, 0xff, 0x62]), "a\u0000b", "a\nb", "\u007f"]) {
			const zip = writeZip({ entries: [...entries("ok"), { name }] });
			const error = await expectRefused(zip.bytes, "ZIP_INVALID_NAME");
			expect(error.details).toEqual({ record: 2 });
		}
	});

	it("a stored entry declaring two different sizes", async () => {
		const zip = writeZip({
			entries: [{ name: "x", method: 0, content: "abc", uncompressedSize: 4 }],
		});
		await expectRefused(zip.bytes, "ZIP_SIZE_MISMATCH");
	});

	it("entries whose data would lie outside the file or in the directory", async () => {
		const first = writeZip({ entries: entries("a") });
		const cases: RawEntry[] = [
			{ name: "a", content: "x", compressedSize: first.directoryOffset },
			{ name: "a", content: "x", localHeaderOffset: first.directoryOffset },
			{ name: "a", content: "x", localHeaderOffset: 0x7ffffff0 },
		];
		for (const entry of cases) {
			await expectRefused(writeZip({ entries: [entry] }).bytes, "ZIP_ENTRY_OUT_OF_RANGE");
		}
	});

	it("two records sharing one local header, or one starting inside another's data", async () => {
		const same = writeZip({
			entries: [...entries("a"), { name: "b", centralOnly: true, localHeaderOffset: 0 }],
		});
		const error = await expectRefused(same.bytes, "ZIP_OVERLAPPING_ENTRIES");
		expect(error.details).toEqual({ entries: ["a", "b"] });
		const inside = writeZip({
			entries: [
				{ name: "a", method: 0, content: "x".repeat(100) },
				{ name: "b", centralOnly: true, localHeaderOffset: 60 },
			],
		});
		await expectRefused(inside.bytes, "ZIP_OVERLAPPING_ENTRIES");
	});
});
