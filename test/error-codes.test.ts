import { describe, expect, it } from "vitest";
import readme from "../README.md?raw";
import { ANALYSIS_ERROR_CODES, ERROR_CODES, METRIC_ONLY_STATUSES } from "../src/error-codes";
import { api } from "./helpers/api";

const sources = import.meta.glob<string>("../src/**/*.ts", {
	query: "?raw",
	import: "default",
	eager: true,
});

/**
 * Code-shaped string literals (upper-case words joined by `_`) and keys of code tables
 * (`ZIP_EMPTY: "…"`), outside comments.
 */
function codeLiterals(): Map<string, string> {
	const found = new Map<string, string>();
	for (const [file, text] of Object.entries(sources)) {
		if (file.endsWith("/error-codes.ts")) continue;
		const code = text
			.split("\n")
			.filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
			.join("\n");
		for (const match of code.matchAll(
			/"((?:[A-Z][A-Z0-9]*_)+[A-Z0-9]+)"|\b((?:[A-Z][A-Z0-9]*_)+[A-Z0-9]+): "/g,
		)) {
			const name = match[1] ?? match[2];
			if (name) found.set(name, file);
		}
	}
	return found;
}

const ENV_NAMES =
	/^(OIDC|MQTT|FIRMWARE|APP_IMAGE|COREDUMP|PUBLIC_BASE|TEST)_[A-Z_]*(URL|BYTES|VERSIONS|DEVICE|SECONDS|ISSUER|AUDIENCE|JWKS|USERNAME|PASSWORD|LIMITER|MIGRATIONS|JWK)$/;

describe("error codes", () => {
	it("lists every code the source can answer with, and nothing it never uses", () => {
		const known = new Set<string>([
			...Object.keys(ERROR_CODES),
			...METRIC_ONLY_STATUSES,
			...ANALYSIS_ERROR_CODES,
		]);
		const used = codeLiterals();
		const unlisted = [...used.keys()].filter((code) => !known.has(code) && !ENV_NAMES.test(code));
		expect(unlisted).toEqual([]);
		const all = Object.entries(sources)
			.filter(([file]) => !file.endsWith("/error-codes.ts"))
			.map(([, text]) => text)
			.join("\n");
		const unused = [...known].filter((c) => !all.includes(`"${c}"`) && !all.includes(`${c}: "`));
		expect(unused).toEqual([]);
	});

	it("are all in the README's table with their status", () => {
		for (const [code, [status]] of Object.entries(ERROR_CODES)) {
			expect(readme).toMatch(new RegExp(`\\| ${status} \\| \`${code}\` \\|`));
		}
	});

	it("are all in the OpenAPI document's Error schema", async () => {
		const doc = await (await api("/api/openapi.json")).json<{
			components: { schemas: { Error: { properties: { code: { enum: string[] } } } } };
		}>();
		expect(new Set(doc.components.schemas.Error.properties.code.enum)).toEqual(
			new Set(Object.keys(ERROR_CODES)),
		);
	});
});
