import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { checkBundleLayout } from "../../src/lib/bundle-layout";
import { memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory, type ZipEntry } from "../../src/lib/zip/central-directory";
import { buildBundle, writeZip, zeroBomb } from "../fixtures/zip";

const MiB = 1024 * 1024;
const limits = { appImageMaxBytes: 16 * MiB, maxEntryBytes: 256 * MiB };
const FIVE = ["m1.bin", "m1.elf", "m1.map", "sdkconfig", "version.json"];

let offset = 0;
function entry(name: string, uncompressedSize = 100): ZipEntry {
	offset += 1000;
	return {
		name,
		method: 8,
		flags: 0,
		crc32: 0,
		compressedSize: 10,
		uncompressedSize,
		localHeaderOffset: offset,
		dataLimit: offset + 1000,
	};
}

function refusal(run: () => unknown): AppError {
	try {
		run();
	} catch (error) {
		if (error instanceof AppError) return error;
		throw error;
	}
	throw new Error("expected a refusal");
}

const layoutOf = (names: string[]) =>
	refusal(() =>
		checkBundleLayout(
			names.map((n) => entry(n)),
			"m1",
			limits,
		),
	);

describe("checkBundleLayout", () => {
	it("maps the five entries of a real bundle, in any order", async () => {
		const entries = await readCentralDirectory(memorySource(buildBundle("m1")), { maxEntries: 64 });
		const bundle = checkBundleLayout([...entries].reverse(), "m1", limits);
		expect(bundle.bin.name).toBe("m1.bin");
		expect(bundle.elf.name).toBe("m1.elf");
		expect(bundle.map.name).toBe("m1.map");
		expect(bundle.sdkconfig.name).toBe("sdkconfig");
		expect(bundle.versionJson.name).toBe("version.json");
	});

	it("names every missing, unexpected and repeated entry in one 400", () => {
		const error = layoutOf([
			"m1.bin",
			"version.json",
			"version.json",
			"notes.txt",
			"m1/",
			"../m1.elf",
		]);
		expect([error.status, error.code]).toEqual([400, "BUNDLE_LAYOUT_INVALID"]);
		expect(error.details).toEqual({
			expected: FIVE,
			missing: ["m1.elf", "m1.map", "sdkconfig"],
			unexpected: ["notes.txt", "m1/", "../m1.elf"],
			duplicates: ["version.json"],
		});
		for (const name of ["m1.elf", "m1.map", "sdkconfig", "notes.txt", "m1/", "../m1.elf"]) {
			expect(error.message).toContain(JSON.stringify(name));
		}
		expect(error.message).toContain('more than once "version.json"');
	});

	it("takes nothing but the five names at the root, case-sensitive", () => {
		const strays = [
			"M1.bin",
			"m1.BIN",
			"dir/m1.bin",
			"/m1.bin",
			"./m1.bin",
			"m1\\m1.bin",
			"m1.bin/",
			"sdkconfig.old",
		];
		for (const stray of strays) {
			const error = layoutOf([...FIVE.filter((n) => n !== "m1.bin"), stray]);
			expect(error.details).toMatchObject({ missing: ["m1.bin"], unexpected: [stray] });
		}
		const extra = layoutOf([...FIVE, "readme.md"]);
		expect(extra.details).toMatchObject({ missing: [], unexpected: ["readme.md"], duplicates: [] });
	});

	it("belongs to one model: another model's entries are unexpected", () => {
		const error = refusal(() =>
			checkBundleLayout(
				FIVE.map((n) => entry(n)),
				"m2",
				limits,
			),
		);
		expect(error.details).toMatchObject({ missing: ["m2.bin", "m2.elf", "m2.map"] });
	});

	it("refuses a bundle of nothing but unexpected entries, naming all five as missing", () => {
		const error = layoutOf(["a", "b"]);
		expect(error.details).toMatchObject({ missing: FIVE, unexpected: ["a", "b"] });
	});

	it("cuts long hostile names in what it reports", () => {
		const long = "x".repeat(5000);
		const error = layoutOf([...FIVE, long]);
		const [shown] = (error.details as { unexpected: string[] }).unexpected;
		expect(shown?.length).toBeLessThan(300);
		expect(error.message.length).toBeLessThan(600);
	});

	const sizeCases = [
		["m1.bin", 16 * MiB, "BUNDLE_APP_IMAGE_TOO_LARGE"],
		["version.json", 64 * 1024, "BUNDLE_ENTRY_TOO_LARGE"],
		["sdkconfig", MiB, "BUNDLE_ENTRY_TOO_LARGE"],
		["m1.elf", 256 * MiB, "BUNDLE_ENTRY_TOO_LARGE"],
		["m1.map", 256 * MiB, "BUNDLE_ENTRY_TOO_LARGE"],
	] as const;
	for (const [name, limit, code] of sizeCases) {
		it(`takes ${name} at ${limit} bytes and refuses one byte more with 413 ${code}`, () => {
			const sized = (size: number) => FIVE.map((n) => entry(n, n === name ? size : 100));
			expect(checkBundleLayout(sized(limit), "m1", limits).bin.name).toBe("m1.bin");
			const error = refusal(() => checkBundleLayout(sized(limit + 1), "m1", limits));
			expect([error.status, error.code]).toEqual([413, code]);
			expect(error.details).toEqual({ entry: name, declared_size: limit + 1, limit });
			expect(error.message).toContain(name);
		});
	}

	it("refuses a zip bomb declaring GiBs from its declaration, before inflating anything", async () => {
		const bomb = zeroBomb(4 * MiB);
		const zip = writeZip({
			entries: FIVE.map((name) =>
				name === "m1.elf"
					? { name, data: bomb, uncompressedSize: 0xfffffffe, crc32: 0 }
					: { name, content: "x" },
			),
		});
		const entries = await readCentralDirectory(memorySource(zip.bytes), { maxEntries: 64 });
		const error = refusal(() => checkBundleLayout(entries, "m1", limits));
		expect([error.status, error.code]).toEqual([413, "BUNDLE_ENTRY_TOO_LARGE"]);
		expect(error.details).toMatchObject({ entry: "m1.elf", declared_size: 0xfffffffe });
	});
});
