import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { checkBundleLayout } from "../../src/lib/bundle-layout";
import { parseVersionJson } from "../../src/lib/version-json";
import { memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory } from "../../src/lib/zip/central-directory";
import { openEntry, readEntry } from "../../src/lib/zip/entry-stream";
import { buildBundle, bundleFiles, bundleNames, writeZip } from "../fixtures/zip";

/**
 * Whatever a mutated bundle holds, reading it either gives back exactly the original entries or
 * fails with a 4xx AppError: never another exception, never a hang.
 */

const files = bundleFiles({ elf: new Uint8Array(3000).map((_, i) => (i * 37) & 0xff) });
const names = bundleNames("m1");
const originals = new Map(
	(Object.keys(names) as (keyof typeof names)[]).map((key) => [names[key], files[key]]),
);
const mixed = writeZip({
	entries: [...originals].map(([name, content], i) => ({ name, content, method: i % 2 ? 0 : 8 })),
});
const bundles = [buildBundle("m1", files), buildBundle("m1", files, { level: 0 }), mixed.bytes];

/** Every header field is a few bytes somewhere in the first few hundred or the last few. */
type Mutation =
	| { kind: "set"; at: number; value: number }
	| { kind: "word"; at: number; value: number }
	| { kind: "cut"; at: number }
	| { kind: "insert"; at: number; bytes: Uint8Array }
	| { kind: "remove"; at: number; length: number };

const position = fc.oneof(fc.nat(400), fc.nat(), fc.integer({ min: -400, max: -1 }));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	fc.record({ kind: fc.constant("set" as const), at: position, value: fc.nat(255) }),
	fc.record({
		kind: fc.constant("word" as const),
		at: position,
		value: fc.oneof(fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff), fc.nat()),
	}),
	fc.record({ kind: fc.constant("cut" as const), at: position }),
	fc.record({
		kind: fc.constant("insert" as const),
		at: position,
		bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
	}),
	fc.record({
		kind: fc.constant("remove" as const),
		at: position,
		length: fc.integer({ min: 1, max: 8 }),
	}),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
	let bytes = original.slice();
	for (const m of mutations) {
		const at = (((m.at % bytes.length) + bytes.length) % bytes.length) | 0;
		if (m.kind === "set") bytes[at] = m.value;
		else if (m.kind === "word")
			new DataView(bytes.buffer).setUint32(Math.min(at, bytes.length - 4), m.value, true);
		else if (m.kind === "cut") bytes = bytes.slice(0, at);
		else if (m.kind === "insert")
			bytes = new Uint8Array([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
		else bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
		if (bytes.length < 4) break;
	}
	return bytes;
}

/** What the upload path does with a bundle, plus reading every entry to its end. */
async function readBundle(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
	const source = memorySource(bytes);
	const entries = await readCentralDirectory(source, { maxEntries: 64 });
	const layout = checkBundleLayout(entries, "m1", {
		appImageMaxBytes: 1 << 24,
		maxEntryBytes: 1 << 28,
	});
	parseVersionJson(await readEntry(source, layout.versionJson, 64 * 1024));
	const out = new Map<string, Uint8Array>();
	for (const entry of entries) {
		out.set(
			entry.name,
			new Uint8Array(await new Response(await openEntry(source, entry)).arrayBuffer()),
		);
	}
	return out;
}

describe("a mutated bundle", () => {
	it("reads back the originals unmutated", async () => {
		for (const bundle of bundles) expect(await readBundle(bundle)).toEqual(originals);
	});

	it("either reads back the original entries or is refused with a 4xx AppError", async () => {
		let refused = 0;
		await fc.assert(
			fc.asyncProperty(
				fc.nat(bundles.length - 1),
				fc.array(mutation, { minLength: 1, maxLength: 3 }),
				async (which, mutations) => {
					const bytes = mutate(bundles[which] as Uint8Array, mutations);
					try {
						const read = await readBundle(bytes);
						expect([...read.keys()].sort()).toEqual([...originals.keys()].sort());
						for (const [name, content] of read) expect(content).toEqual(originals.get(name));
					} catch (error) {
						if (!(error instanceof AppError)) throw error;
						expect(error.status).toBeGreaterThanOrEqual(400);
						expect(error.status).toBeLessThan(500);
						refused++;
					}
				},
			),
			{ numRuns: 1000 },
		);
		expect(refused).toBeGreaterThan(300);
	}, 60_000);
});
