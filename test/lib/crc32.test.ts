import fc from "fast-check";
import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/lib/crc32";
import { memorySource } from "../../src/lib/zip/byte-source";
import { readCentralDirectory } from "../../src/lib/zip/central-directory";
import { referenceCrc32 } from "../fixtures/zip";

const ascii = (text: string) => new TextEncoder().encode(text);

describe("crc32", () => {
	it("gives the published check values", () => {
		expect(crc32(new Uint8Array(0))).toBe(0);
		expect(crc32(ascii("a"))).toBe(0xe8b7be43);
		expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
		expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
		expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
	});

	it("matches a bit-by-bit CRC at every length around the 8-byte stride", () => {
		const bytes = new Uint8Array(70).map((_, i) => (i * 151 + 7) & 0xff);
		for (let length = 0; length <= bytes.length; length++) {
			expect(crc32(bytes.subarray(0, length))).toBe(referenceCrc32(bytes.subarray(0, length)));
		}
	});

	it("continues across any split, as the entry stream feeds it chunk by chunk", () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
				const [i, j] = [a % (bytes.length + 1), b % (bytes.length + 1)].sort((x, y) => x - y);
				const pieces = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
				const running = pieces.reduce((crc, piece) => crc32(piece, crc), 0);
				expect(running).toBe(referenceCrc32(bytes));
			}),
		);
	});

	it("agrees with the CRC-32 another implementation wrote into a ZIP, over a MiB", async () => {
		const big = new Uint8Array(1024 * 1024 + 3).map((_, i) => (i * 2654435761) >>> 24);
		const zip = zipSync({ big }, { level: 0 });
		const [entry] = await readCentralDirectory(memorySource(zip), { maxEntries: 1 });
		expect(crc32(big)).toBe(entry?.crc32);
	});

	it("works on views into a larger buffer", () => {
		const buffer = ascii("xx123456789yy");
		expect(crc32(buffer.subarray(2, 11))).toBe(0xcbf43926);
	});
});
