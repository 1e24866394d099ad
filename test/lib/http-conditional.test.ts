import { describe, expect, it } from "vitest";
import { etagFor, ifNoneMatchMatches, ifRangeAllowsRange } from "../../src/lib/http-conditional.ts";

/** The SHA-256 of a running image, as a device reads it from its partition. */
const SHA = "9a4f3c1d0b8e7f6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b";
const OTHER = "0000000000000000000000000000000000000000000000000000000000000001";
const ETAG = `"${SHA}"`;

describe("etagFor", () => {
	it("quotes the hash as a strong entity tag", () => {
		expect(etagFor(SHA)).toBe(ETAG);
	});

	it.each([
		["upper-case hex", SHA.toUpperCase()],
		["a short hash", SHA.slice(1)],
		["a quote inside", `${SHA.slice(1)}"`],
		["an empty string", ""],
	])("refuses %s", (_, value) => expect(() => etagFor(value)).toThrow(TypeError));
});

describe("ifNoneMatchMatches", () => {
	it.each([
		["the same tag", ETAG],
		["the same tag with surrounding whitespace", ` \t${ETAG} `],
		["a weak tag of the same hash (weak comparison)", `W/${ETAG}`],
		["a list holding it last", `"${OTHER}", ${ETAG}`],
		["a list holding it first", `${ETAG}, "${OTHER}"`],
		["a list without whitespace", `"a","b",${ETAG}`],
		["a list with tabs and spaces", `"a" \t,\t ${ETAG}  ,  "b"`],
		["a list with empty members", `,, ${ETAG} ,`],
		["a list holding a weak tag of it", `"a", W/${ETAG}`],
		["a list whose other member holds a comma", `"a,b", ${ETAG}`],
		["a list after a malformed member", `garbage, ${ETAG}`],
		["a list after an unterminated tag", `"abc, ${ETAG}`],
		["a list after a lower-case weak prefix", `w/${ETAG}, ${ETAG}`],
		["a bare asterisk", "*"],
		["an asterisk with whitespace", "  *\t"],
	])("matches %s", (_, header) => expect(ifNoneMatchMatches(header, ETAG)).toBe(true));

	it.each([
		["no header", null],
		["an empty header", ""],
		["only whitespace", "  "],
		["another image's tag", `"${OTHER}"`],
		["another image's weak tag", `W/"${OTHER}"`],
		["a list of other tags", `"a", "b", W/"${OTHER}"`],
		["the unquoted hash", SHA],
		["the hash in upper case", `"${SHA.toUpperCase()}"`],
		["the hash without its closing quote", `"${SHA}`],
		["the hash without its opening quote", `${SHA}"`],
		["a lower-case weak prefix", `w/${ETAG}`],
		["a space inside the weak prefix", `W/ ${ETAG}`],
		["text after the tag", `${ETAG}x`],
		["two tags without a comma", `${ETAG} "a"`],
		["a truncated hash", `"${SHA.slice(0, 63)}"`],
		["the hash with a space inside", `"${SHA.slice(0, 32)} ${SHA.slice(32)}"`],
		["an empty tag", `""`],
		["an asterisk inside a list", `"a", *`],
		["an asterisk with text", "*x"],
		["single quotes", `'${SHA}'`],
	])("does not match %s", (_, header) => expect(ifNoneMatchMatches(header, ETAG)).toBe(false));

	it("an asterisk in a list is ignored, the other members still count", () => {
		expect(ifNoneMatchMatches(`*, ${ETAG}`, ETAG)).toBe(true);
	});

	it("reads a long list of malformed members to the end", () => {
		const header = `${"x,".repeat(5000)}"${OTHER}",${ETAG}`;
		expect(ifNoneMatchMatches(header, ETAG)).toBe(true);
		expect(ifNoneMatchMatches(header, `"${OTHER}"`)).toBe(true);
		expect(ifNoneMatchMatches(header, `"${SHA.slice(1)}0"`)).toBe(false);
	});

	it("compares weakly when our own tag is weak", () => {
		expect(ifNoneMatchMatches(`"abc"`, `W/"abc"`)).toBe(true);
	});

	it("refuses a malformed tag of our own", () => {
		expect(() => ifNoneMatchMatches("*", SHA)).toThrow(TypeError);
	});
});

describe("ifRangeAllowsRange", () => {
	it("allows the range when there is no If-Range", () => {
		expect(ifRangeAllowsRange(null, ETAG)).toBe(true);
	});

	it.each([
		["the same strong tag", ETAG],
		["the same strong tag with surrounding whitespace", ` ${ETAG}\t`],
	])("allows the range for %s", (_, header) => expect(ifRangeAllowsRange(header, ETAG)).toBe(true));

	it.each([
		["another image's tag", `"${OTHER}"`],
		["a weak tag of the same hash", `W/${ETAG}`],
		["an HTTP-date", "Wed, 21 Oct 2015 07:28:00 GMT"],
		["an obsolete HTTP-date", "Wednesday, 21-Oct-15 07:28:00 GMT"],
		["an empty header", ""],
		["the unquoted hash", SHA],
		["the hash in upper case", `"${SHA.toUpperCase()}"`],
		["a list holding the tag", `${ETAG}, "${OTHER}"`],
		["an asterisk", "*"],
		["text after the tag", `${ETAG}x`],
	])("sends the whole image for %s", (_, header) =>
		expect(ifRangeAllowsRange(header, ETAG)).toBe(false),
	);

	it("never allows it when our own tag is weak", () => {
		expect(ifRangeAllowsRange(`"abc"`, `W/"abc"`)).toBe(false);
		expect(ifRangeAllowsRange(`W/"abc"`, `W/"abc"`)).toBe(false);
	});

	it("refuses a malformed tag of our own", () => {
		expect(() => ifRangeAllowsRange(ETAG, SHA)).toThrow(TypeError);
	});
});
