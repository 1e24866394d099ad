import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	contentRange,
	MAX_RANGE_HEADER_LENGTH,
	parseRange,
	type RangeDecision,
	unsatisfiedRange,
} from "../../src/lib/http-range.ts";

const SIZE = 1_234_567;
const STEP = 64 * 1024;
const FULL: RangeDecision = { kind: "full" };
const UNSATISFIABLE: RangeDecision = { kind: "unsatisfiable" };
const part = (offset: number, end: number): RangeDecision => ({
	kind: "partial",
	offset,
	length: end - offset + 1,
	end,
});

function expectRange(header: string | null, expected: RangeDecision, size = SIZE): void {
	expect(parseRange(header, size), JSON.stringify(header)).toEqual(expected);
}

describe("parseRange: requests that get the whole image", () => {
	it.each([
		["no header", null],
		["an empty header", ""],
		["only whitespace", " \t "],
		["no unit separator", "bytes 0-9"],
		["another unit", "items=0-9"],
		["a unit that only starts like bytes", "bytesx=0-9"],
		["space before the equals sign", "bytes =0-9"],
		["no range set", "bytes="],
		["only empty members", "bytes= , ,"],
		["a lone dash", "bytes=-"],
	])("%s", (_, header) => expectRange(header, FULL));

	it.each([
		"bytes=10-9",
		"bytes=1-0",
		"bytes=1234567-5",
		"bytes=99999999999999999999-99999999999999999998",
	])("last-pos below first-pos is invalid: %s", (header) => expectRange(header, FULL));

	it.each([
		"bytes=-5-10",
		"bytes=--1",
		"bytes=5--1",
		"bytes=a-b",
		"bytes=0-z",
		"bytes=0x10-0x20",
		"bytes=+1-2",
		"bytes=1.5-2",
		"bytes=1e3-",
		"bytes=0-1-2",
		"bytes=0-9;q=1",
		"bytes=0 -9",
		"bytes=0- 9",
		"bytes=1 2-",
		"bytes=\u0661-\u0662",
		"bytes=\uff10-\uff19",
		"bytes==0-9",
		"bytes=0-9=",
		"=0-9",
		"0-9",
	])("malformed: %s", (header) => expectRange(header, FULL));

	it.each([
		"bytes=0-9,20-29",
		"bytes=0-9, 20-29",
		"bytes=0-0,-1",
		"bytes=0-9,0-9",
		"bytes=0-,0-",
		"bytes=2000000-,3000000-",
		"bytes=0-9,x",
		"bytes=-0,-0",
	])("more than one range: %s", (header) => expectRange(header, FULL));

	it("a header longer than the limit is not read", () => {
		const valid = `bytes=${"0".repeat(MAX_RANGE_HEADER_LENGTH - 9)}5-9`;
		expect(valid).toHaveLength(MAX_RANGE_HEADER_LENGTH);
		expectRange(valid, part(5, 9));
		expectRange(`bytes=0${valid.slice(6)}`, FULL);
		expectRange(`bytes=0-9${" ".repeat(MAX_RANGE_HEADER_LENGTH)}`, FULL);
	});
});

describe("parseRange: one satisfiable range", () => {
	it.each([
		["bytes=0-0", part(0, 0)],
		["bytes=0-9", part(0, 9)],
		["bytes=100-199", part(100, 199)],
		["bytes=1234566-1234566", part(1_234_566, 1_234_566)],
		["bytes=1234560-1234566", part(1_234_560, 1_234_566)],
		["bytes=00-009", part(0, 9)],
	])("first-last %s", (header, expected) => expectRange(header, expected));

	it.each([
		["one past the last byte", "bytes=1200000-1234567", part(1_200_000, 1_234_566)],
		["far past the end", "bytes=1200000-9999999", part(1_200_000, 1_234_566)],
		["the whole image", "bytes=0-1234567", part(0, 1_234_566)],
	])("an end %s is clamped", (_, header, expected) => expectRange(header, expected));

	it.each([
		["bytes=0-", part(0, 1_234_566)],
		["bytes=1-", part(1, 1_234_566)],
		["bytes=1234566-", part(1_234_566, 1_234_566)],
	])("open-ended %s", (header, expected) => expectRange(header, expected));

	it.each([
		["bytes=-1", part(1_234_566, 1_234_566)],
		["bytes=-500", part(1_234_067, 1_234_566)],
		["bytes=-1234566", part(1, 1_234_566)],
		["bytes=-1234567", part(0, 1_234_566)],
		["bytes=-1234568", part(0, 1_234_566)],
		["bytes=-0010", part(1_234_557, 1_234_566)],
	])("suffix %s", (header, expected) => expectRange(header, expected));

	it.each([
		["upper-case unit", "BYTES=0-9"],
		["mixed-case unit", "Bytes=0-9"],
		["space after the equals sign", "bytes= 0-9"],
		["tabs around the range", "bytes=\t0-9\t"],
		["whitespace around the value", "  bytes=0-9  "],
		["a trailing empty member", "bytes=0-9,"],
		["a leading empty member", "bytes=,0-9"],
		["empty members with whitespace", "bytes= , 0-9 ,, "],
	])("%s", (_, header) => expectRange(header, part(0, 9)));
});

describe("parseRange: unsatisfiable", () => {
	it.each([
		"bytes=1234567-",
		"bytes=1234568-",
		"bytes=1234567-1234567",
		"bytes=1234567-2000000",
		"bytes=-0",
		"bytes=-000",
		"BYTES=-0",
	])("%s", (header) => expectRange(header, UNSATISFIABLE));
});

describe("parseRange: numbers beyond double precision", () => {
	it.each([
		["bytes=9007199254740993-", UNSATISFIABLE],
		["bytes=99999999999999999999999-", UNSATISFIABLE],
		["bytes=99999999999999999998-99999999999999999999", UNSATISFIABLE],
		["bytes=0-99999999999999999999", part(0, 1_234_566)],
		["bytes=100-9007199254740992", part(100, 1_234_566)],
		["bytes=-99999999999999999999", part(0, 1_234_566)],
		["bytes=-9007199254740993", part(0, 1_234_566)],
		["bytes=00000000000000000000000010-00000000000000000000000019", part(10, 19)],
	])("%s", (header, expected) => expectRange(header, expected));

	it("an image of the largest safe size keeps exact positions", () => {
		const size = Number.MAX_SAFE_INTEGER;
		expectRange("bytes=9007199254740990-", part(size - 1, size - 1), size);
		expectRange("bytes=9007199254740991-", UNSATISFIABLE, size);
		expectRange("bytes=-2", part(size - 2, size - 1), size);
		expectRange("bytes=0-9007199254740993", part(0, size - 1), size);
	});
});

describe("parseRange: tiny images", () => {
	it("an empty image has no satisfiable first-last range and is sent whole for a suffix", () => {
		expectRange(null, FULL, 0);
		expectRange("bytes=0-", UNSATISFIABLE, 0);
		expectRange("bytes=0-0", UNSATISFIABLE, 0);
		expectRange("bytes=-0", UNSATISFIABLE, 0);
		expectRange("bytes=-1", FULL, 0);
	});

	it("a one-byte image", () => {
		expectRange("bytes=0-0", part(0, 0), 1);
		expectRange("bytes=0-1", part(0, 0), 1);
		expectRange("bytes=-5", part(0, 0), 1);
		expectRange("bytes=1-", UNSATISFIABLE, 1);
	});

	it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
		"refuses a representation size of %s",
		(size) => expect(() => parseRange("bytes=0-0", size)).toThrow(RangeError),
	);
});

/** The requests ESP-IDF's partial download makes after its HEAD, starting at `start`. */
function espIdfRequests(size: number, start = 0): string[] {
	const requests: string[] = [];
	let written = start;
	// The opening request ends one past the last byte when the rest fits in one step.
	const firstEnd = size > start + STEP ? start + STEP - 1 : size;
	requests.push(`bytes=${written}-${firstEnd}`);
	written = Math.min(firstEnd + 1, size);
	while (written < size) {
		requests.push(
			size - written > STEP ? `bytes=${written}-${written + STEP - 1}` : `bytes=${written}-`,
		);
		written = Math.min(written + STEP, size);
	}
	return requests;
}

describe("ESP-IDF partial download of a 1 234 567-byte image", () => {
	const requests = espIdfRequests(SIZE);

	it("asks in 64 KiB steps and finishes open-ended", () => {
		expect(requests).toHaveLength(19);
		expect(requests[0]).toBe("bytes=0-65535");
		expect(requests[1]).toBe("bytes=65536-131071");
		expect(requests[17]).toBe("bytes=1114112-1179647");
		expect(requests[18]).toBe("bytes=1179648-");
	});

	it("gets every byte exactly once, in order, with a Content-Range carrying the total", () => {
		let next = 0;
		const ranges = requests.map((header) => {
			const decision = parseRange(header, SIZE);
			if (decision.kind !== "partial") throw new Error(`${header} gave ${decision.kind}`);
			expect(decision.offset).toBe(next);
			next = decision.end + 1;
			return contentRange(decision.offset, decision.end, SIZE);
		});
		expect(next).toBe(SIZE);
		expect(ranges[0]).toBe("bytes 0-65535/1234567");
		expect(ranges[18]).toBe("bytes 1179648-1234566/1234567");
	});

	it("the last step is 54 919 bytes", () => {
		expect(parseRange(requests[18] ?? null, SIZE)).toEqual({
			kind: "partial",
			offset: 1_179_648,
			length: 54_919,
			end: 1_234_566,
		});
	});

	it("learns the size from bytes=0-0 when HEAD gives none", () => {
		expectRange("bytes=0-0", part(0, 0));
		expect(contentRange(0, 0, SIZE)).toBe("bytes 0-0/1234567");
	});

	it("an image of exactly one step asked as bytes=0-65536 is clamped", () => {
		expectRange("bytes=0-65536", part(0, STEP - 1), STEP);
	});

	it("resuming inside the last step sends an end one past the last byte", () => {
		const resumed = espIdfRequests(SIZE, 1_200_000);
		expect(resumed).toEqual(["bytes=1200000-1234567"]);
		expectRange(resumed[0] ?? null, part(1_200_000, 1_234_566));
	});

	it("resumption with bytes=N- gets 206 for every N inside the image", () => {
		for (const n of [1, 1024, STEP, 700_000, SIZE - 1]) {
			expectRange(`bytes=${n}-`, part(n, SIZE - 1));
		}
	});

	it("resumption at or past the end gets 416, which restarts the device from zero", () => {
		expectRange(`bytes=${SIZE}-`, UNSATISFIABLE);
		expectRange(`bytes=${SIZE + STEP}-`, UNSATISFIABLE);
		expect(unsatisfiedRange(SIZE)).toBe("bytes */1234567");
	});
});

describe("Content-Range values", () => {
	it.each([
		[0, 0, 1, "bytes 0-0/1"],
		[0, 65_535, SIZE, "bytes 0-65535/1234567"],
		[1_179_648, 1_234_566, SIZE, "bytes 1179648-1234566/1234567"],
	])("contentRange(%i, %i, %i)", (offset, end, size, expected) =>
		expect(contentRange(offset, end, size)).toBe(expected),
	);

	it.each([
		[0, "bytes */0"],
		[SIZE, "bytes */1234567"],
	])("unsatisfiedRange(%i)", (size, expected) => expect(unsatisfiedRange(size)).toBe(expected));
});

describe("parseRange: properties", () => {
	it("any header gives a decision whose positions lie inside the image", () => {
		const header = fc.oneof(
			fc.string(),
			fc.string().map((s) => `bytes=${s}`),
			fc
				.tuple(fc.stringMatching(/^[0-9]{0,25}$/), fc.stringMatching(/^[0-9]{0,25}$/))
				.map(([a, b]) => `bytes=${a}-${b}`),
		);
		fc.assert(
			fc.property(header, fc.nat({ max: 2 * SIZE }), (h, size) => {
				const decision = parseRange(h, size);
				if (decision.kind !== "partial") return;
				expect(Number.isSafeInteger(decision.offset)).toBe(true);
				expect(decision.offset).toBeGreaterThanOrEqual(0);
				expect(decision.end).toBeLessThan(size);
				expect(decision.length).toBe(decision.end - decision.offset + 1);
				expect(decision.length).toBeGreaterThan(0);
			}),
		);
	});

	it("first-last ranges agree with exact integer arithmetic", () => {
		const position = fc.oneof(
			fc.bigInt({ min: 0n, max: BigInt(4 * STEP) }),
			fc.bigInt({ min: 0n, max: 10n ** 22n }),
		);
		fc.assert(
			fc.property(position, position, fc.nat({ max: 4 * STEP }), (a, b, size) => {
				const total = BigInt(size);
				let expected: RangeDecision;
				if (b < a) expected = FULL;
				else if (a >= total) expected = UNSATISFIABLE;
				else expected = part(Number(a), Number(b < total ? b : total - 1n));
				expect(parseRange(`bytes=${a}-${b}`, size)).toEqual(expected);
			}),
		);
	});
});
