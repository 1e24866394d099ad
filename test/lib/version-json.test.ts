import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { parseVersionJson } from "../../src/lib/version-json";

const utf8 = (text: string) => new TextEncoder().encode(text);
const valid = { git_commit: "0123abc", idf_version: "v5.4.1", firmware_version: "1.2.3" };

function refusal(bytes: Uint8Array): AppError {
	try {
		parseVersionJson(bytes);
	} catch (error) {
		if (error instanceof AppError) return error;
		throw error;
	}
	throw new Error("expected a refusal");
}

describe("parseVersionJson", () => {
	it("reads the three fields and keeps every other one", () => {
		const parsed = parseVersionJson(
			utf8(JSON.stringify({ ...valid, build: { ci: "gitlab" }, n: 3 })),
		);
		expect(parsed).toEqual({
			gitCommit: "0123abc",
			idfVersion: "v5.4.1",
			firmwareVersion: "1.2.3",
			fields: { ...valid, build: { ci: "gitlab" }, n: 3 },
		});
	});

	it("takes a leading byte order mark and non-ASCII text", () => {
		const text = JSON.stringify({ ...valid, note: "für Gerät ✓" });
		const parsed = parseVersionJson(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(text)]));
		expect(parsed.fields.note).toBe("für Gerät ✓");
		expect(parsed.firmwareVersion).toBe("1.2.3");
	});

	it("keeps a __proto__ field as data without touching prototypes", () => {
		const parsed = parseVersionJson(
			utf8(`{"__proto__":{"polluted":1},${JSON.stringify(valid).slice(1)}`),
		);
		expect(Object.hasOwn(parsed.fields, "__proto__")).toBe(true);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it("refuses bytes that are not UTF-8", () => {
		for (const bytes of [
			new Uint8Array([0x7b, 0xff, 0x7d]),
			new Uint8Array([0xff, 0xfe, 0x7b, 0x00]),
		]) {
			const error = refusal(bytes);
			expect([error.status, error.code]).toEqual([400, "VERSION_JSON_NOT_UTF8"]);
		}
	});

	it("refuses text that is not JSON, empty text included", () => {
		for (const text of ["", "{", "{'a':1}", `${JSON.stringify(valid)} x`, "\uFEFF\uFEFF{}"]) {
			expect(refusal(utf8(text)).code).toBe("VERSION_JSON_INVALID");
		}
	});

	it("refuses JSON that is not an object, saying what it is", () => {
		const cases = [
			["[]", "array"],
			["null", "null"],
			['"1.2.3"', "string"],
			["42", "number"],
			["true", "boolean"],
		];
		for (const [text, found] of cases) {
			const error = refusal(utf8(text as string));
			expect([error.code, error.details]).toEqual(["VERSION_JSON_NOT_OBJECT", { found }]);
			expect(error.message).toContain(found);
		}
	});

	it("names every field that is missing or not a string", () => {
		const error = refusal(utf8(JSON.stringify({ git_commit: 7, firmware_version: null })));
		expect([error.status, error.code]).toEqual([400, "VERSION_JSON_FIELD_INVALID"]);
		expect(error.details).toEqual({
			missing: ["idf_version"],
			not_string: ["git_commit", "firmware_version"],
		});
		for (const name of ["idf_version", "git_commit", "firmware_version"]) {
			expect(error.message).toContain(name);
		}
	});

	for (const field of Object.keys(valid)) {
		it(`refuses version.json without ${field}`, () => {
			const { [field]: _, ...rest } = valid as Record<string, string>;
			expect(refusal(utf8(JSON.stringify(rest))).details).toEqual({
				missing: [field],
				not_string: [],
			});
		});
	}
});
