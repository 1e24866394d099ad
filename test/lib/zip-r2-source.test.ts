import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { readCentralDirectory } from "../../src/lib/zip/central-directory";
import { openEntry, readEntry } from "../../src/lib/zip/entry-stream";
import { r2ByteSource } from "../../src/storage/r2-byte-source";
import { buildBundle, bundleFiles, bundleNames } from "../fixtures/zip";

async function refusal(promise: Promise<unknown>): Promise<AppError> {
	const error = await promise.then(
		() => new Error("expected a refusal"),
		(e: unknown) => e,
	);
	if (!(error instanceof AppError)) throw error;
	return error;
}

const bytes = new Uint8Array(1000).map((_, i) => i % 256);

describe("r2ByteSource", () => {
	it("reads exact ranges, empty ones included", async () => {
		await env.BLOBS.put("ranges", bytes);
		const source = r2ByteSource(env.BLOBS, "ranges", bytes.length);
		expect(await source.read(0, 10)).toEqual(bytes.subarray(0, 10));
		expect(await source.read(990, 10)).toEqual(bytes.subarray(990));
		expect(await source.read(1000, 0)).toEqual(new Uint8Array(0));
		const streamed = new Uint8Array(
			await new Response(await source.stream(100, 300)).arrayBuffer(),
		);
		expect(streamed).toEqual(bytes.subarray(100, 400));
		expect(await new Response(await source.stream(5, 0)).arrayBuffer()).toHaveProperty(
			"byteLength",
			0,
		);
	});

	it("refuses a range outside the object without asking R2", async () => {
		const source = r2ByteSource(env.BLOBS, "never-written", 10);
		await expect(source.read(5, 6)).rejects.toBeInstanceOf(RangeError);
		await expect(source.read(-1, 2)).rejects.toBeInstanceOf(RangeError);
	});

	it("reads a staged bundle entry by entry", async () => {
		const zip = buildBundle("m1");
		await env.BLOBS.put("staged/bundle.zip", zip);
		const source = r2ByteSource(env.BLOBS, "staged/bundle.zip", zip.length);
		const entries = await readCentralDirectory(source, { maxEntries: 64 });
		const elf = entries.find((e) => e.name === bundleNames("m1").elf);
		const inflated = await new Response(
			await openEntry(source, elf as (typeof entries)[number]),
		).arrayBuffer();
		expect(new Uint8Array(inflated)).toEqual(bundleFiles().elf);
		const versionJson = entries.find((e) => e.name === "version.json");
		expect(await readEntry(source, versionJson as (typeof entries)[number], 65536)).toEqual(
			bundleFiles().versionJson,
		);
	});

	it("answers 503 (retry) when the object is gone", async () => {
		const source = r2ByteSource(env.BLOBS, "vanished", 100);
		const error = await refusal(source.read(0, 10));
		expect([error.status, error.code]).toEqual([503, "STORAGE_OBJECT_MISSING"]);
		expect((await refusal(source.stream(0, 10))).code).toBe("STORAGE_OBJECT_MISSING");
	});

	it("answers 503 (retry) when the object was replaced by one of another size", async () => {
		await env.BLOBS.put("replaced", bytes);
		const source = r2ByteSource(env.BLOBS, "replaced", 2000);
		const error = await refusal(source.read(0, 10));
		expect([error.status, error.code]).toEqual([503, "STORAGE_OBJECT_CHANGED"]);
		expect(error.details).toEqual({ expected_size: 2000, actual_size: 1000 });
	});
});
