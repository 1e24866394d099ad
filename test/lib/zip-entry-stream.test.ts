import { describe, expect, it } from "vitest";
import type { AppError } from "../../src/errors";
import { type ByteSource, memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory, type ZipEntry } from "../../src/lib/zip/central-directory";
import { openEntry, readEntry } from "../../src/lib/zip/entry-stream";
import { buildBundle, bundleFiles, bundleNames, bytesOf, writeZip } from "../fixtures/zip";
import { collect, metered, only, refusal } from "../helpers/zip-entries";

const pseudoRandom = (length: number) =>
	new Uint8Array(length).map((_, i) => (i * 2654435761) >>> 24);

describe("openEntry and readEntry give back", () => {
	for (const level of [0, 6] as const) {
		it(`every entry of a ${level ? "deflated" : "stored"} bundle, byte for byte`, async () => {
			const source = memorySource(buildBundle("m1", {}, { level }));
			const files = bundleFiles();
			const names = bundleNames("m1");
			const entries = await readCentralDirectory(source, { maxEntries: 64 });
			for (const key of Object.keys(names) as (keyof typeof names)[]) {
				const entry = entries.find((e) => e.name === names[key]) as ZipEntry;
				expect((await collect(await openEntry(source, entry))).bytes).toEqual(files[key]);
				expect(await readEntry(source, entry, entry.uncompressedSize)).toEqual(files[key]);
			}
		});
	}

	it("empty entries, stored and deflated", async () => {
		for (const method of [0, 8]) {
			const { source, entry } = await only({ name: "empty", method });
			expect(await readEntry(source, entry, 0)).toEqual(new Uint8Array(0));
		}
	});

	it("entries spanning many source chunks and inflater slices", async () => {
		const content = pseudoRandom(1024 * 1024 + 17);
		for (const method of [0, 8]) {
			const { source, entry } = await only({ name: "big", method, content });
			expect((await collect(await openEntry(source, entry))).bytes).toEqual(content);
		}
	});

	it("entries whose sizes follow their data (flag bit 3)", async () => {
		const local = { flags: 0x0808, crc32: 0, compressedSize: 0, uncompressedSize: 0 };
		const { source, entry } = await only({ name: "dd", flags: 0x0808, content: "later", local });
		expect(await readEntry(source, entry, 100)).toEqual(bytesOf("later"));
	});

	it("deflate data of nothing but empty blocks, without waiting for output that never comes", async () => {
		const emptyStored = [0x00, 0x00, 0x00, 0xff, 0xff];
		const blocks = Array.from({ length: 40_000 }, () => emptyStored).flat();
		const data = new Uint8Array([...blocks, 0x01, 0x00, 0x00, 0xff, 0xff]);
		const { source, entry } = await only({ name: "e", data, content: "" });
		expect(await readEntry(source, entry, 10)).toEqual(new Uint8Array(0));
	});
});

describe("readEntry", () => {
	it("refuses a declared size above its limit with 413, before reading any data", async () => {
		const { source, meter } = metered(
			writeZip({ entries: [{ name: "v", content: "{}", uncompressedSize: 0xfffffff0 }] }).bytes,
		);
		const [entry] = await readCentralDirectory(source, { maxEntries: 64 });
		const error = await refusal(readEntry(source, entry as ZipEntry, 65536));
		expect([error.status, error.code]).toEqual([413, "ZIP_ENTRY_TOO_LARGE"]);
		expect(error.details).toEqual({ entry: "v", declared_size: 0xfffffff0, limit: 65536 });
		expect(meter.streamed).toBe(0);
	});

	it("passes on a refusal from the stream", async () => {
		const { source, entry } = await only({ name: "v", content: "abc", uncompressedSize: 2 });
		expect((await refusal(readEntry(source, entry, 10))).code).toBe("ZIP_SIZE_MISMATCH");
	});
});

describe("the entry stream", () => {
	it("stops reading the source when it is cancelled", async () => {
		const zip = writeZip({ entries: [{ name: "big", content: pseudoRandom(1024 * 1024) }] });
		const { source, meter } = metered(zip.bytes);
		const [entry] = await readCentralDirectory(source, { maxEntries: 64 });
		const reader = (await openEntry(source, entry as ZipEntry)).getReader();
		await reader.read();
		await reader.cancel();
		expect(meter.cancelled).toBe(true);
		expect(meter.streamed).toBeLessThan(zip.bytes.length);
	});

	it("reports a source that hands out fewer bytes than asked as a storage failure", async () => {
		const { source: inner, entry } = await only({ name: "a", method: 0, content: "abcdef" });
		const short: ByteSource = {
			...inner,
			read: (offset, length) => inner.read(offset, length),
			stream: async (offset, length) => inner.stream(offset, length - 1),
		};
		const { error } = await collect(await openEntry(short, entry));
		expect([(error as AppError).status, (error as AppError).code]).toEqual([
			503,
			"ZIP_SOURCE_UNREADABLE",
		]);
	});
});
