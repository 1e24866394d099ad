import { env, exports } from "cloudflare:workers";
import { OpenAPIHono } from "@hono/zod-openapi";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import type { AppEnv } from "../src/hono-env";
import { requestLog } from "../src/http/request-log";
import {
	fillUploadScript,
	ps1Literal,
	renderUploadScript,
	shLiteral,
} from "../src/lib/upload-script";
import { uploadScriptRoutes } from "../src/routes/upload-scripts";

// The routes as the Worker serves them, with vars set per request.
const app = new OpenAPIHono<AppEnv>();
app.use("*", requestLog);
app.route("/", uploadScriptRoutes);

function get(url: string, vars: Partial<Env> = {}, headers: Record<string, string> = {}) {
	return app.request(url, { headers }, { ...env, ...vars });
}

/** The value a rendered `name=<literal>` line assigns, read the way sh reads it; null if unsafe. */
function shAssignment(script: string, name: string): string | null {
	const line = script.split("\n").find((l) => l.startsWith(`${name}=`));
	if (line === undefined) throw new Error(`no ${name}= line`);
	return shUnquote(line.slice(name.length + 1));
}

/** Only single-quoted runs and \' are allowed: nothing the shell would expand or run. */
function shUnquote(word: string): string | null {
	let out = "";
	let i = 0;
	while (i < word.length) {
		if (word.startsWith("\\'", i)) {
			out += "'";
			i += 2;
		} else if (word[i] === "'") {
			const end = word.indexOf("'", i + 1);
			if (end < 0) return null;
			out += word.slice(i + 1, end);
			i = end + 1;
		} else {
			return null;
		}
	}
	return out;
}

/** What survives rendering: no control characters and no Unicode line breaks. */
function printable(value: string): string {
	return Array.from(value)
		.filter((ch) => {
			const code = ch.codePointAt(0) ?? 0;
			return !(code < 0x20 || code === 0x7f || code === 0x85 || code === 0x2028 || code === 0x2029);
		})
		.join("");
}

const PS_QUOTES = "'\u2018\u2019\u201a\u201b";

/** A PowerShell single-quoted string filling the whole rest of the line; null if unsafe. */
function ps1Unquote(word: string): string | null {
	if (word[0] !== "'") return null;
	let out = "";
	let i = 1;
	while (i < word.length) {
		const ch = word[i] as string;
		if (PS_QUOTES.includes(ch)) {
			if (word[i + 1] !== undefined && PS_QUOTES.includes(word[i + 1] as string)) {
				out += ch;
				i += 2;
				continue;
			}
			return i === word.length - 1 ? out : null;
		}
		out += ch;
		i++;
	}
	return null;
}

function ps1Assignment(script: string, name: string): string | null {
	const prefix = `$${name} = `;
	const line = script.split("\n").find((l) => l.startsWith(prefix));
	if (line === undefined) throw new Error(`no ${prefix} line`);
	return ps1Unquote(line.slice(prefix.length));
}

const HOSTILE = [
	"https://ota.example'; rm -rf / #",
	"https://ota.example/$(touch /tmp/owned)",
	"https://ota.example/`id`",
	"https://ota.example/\nrm -rf /\n",
	"https://ota.example/\r\n$env:PATH; Remove-Item -Recurse C:\\",
	"https://ota.example/\u2019; Remove-Item x; \u2018",
	"https://ota.example/\u0000nul'\\''",
	"'__OTA_TOKEN_URL__'",
];

describe("GET /api/pipeline/upload.sh", () => {
	it("fills in PUBLIC_BASE_URL (without a trailing slash) and OIDC_TOKEN_URL", async () => {
		const res = await get("https://worker.example/api/pipeline/upload.sh", {
			PUBLIC_BASE_URL: "https://ota.example.com/",
			OIDC_TOKEN_URL: "https://id.example.com/realms/iot/protocol/openid-connect/token",
		});
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("text/x-shellscript; charset=utf-8");
		const script = await res.text();
		expect(script.startsWith("#!/bin/sh\n")).toBe(true);
		expect(shAssignment(script, "served_base_url")).toBe("https://ota.example.com");
		expect(shAssignment(script, "served_token_url")).toBe(
			"https://id.example.com/realms/iot/protocol/openid-connect/token",
		);
		expect(script).not.toContain("__OTA_");
		expect(script.trimEnd().endsWith('main "$@"')).toBe(true);
	});

	it("uses the request's own origin when PUBLIC_BASE_URL is empty, ignoring forwarding headers", async () => {
		const res = await get(
			"https://worker.example:8443/api/pipeline/upload.sh",
			{ PUBLIC_BASE_URL: "", OIDC_TOKEN_URL: "" },
			{
				"X-Forwarded-Host": "evil.example",
				"X-Forwarded-Proto": "http",
				"X-Forwarded-Port": "81",
				Forwarded: "host=evil.example;proto=http",
			},
		);
		const script = await res.text();
		expect(shAssignment(script, "served_base_url")).toBe("https://worker.example:8443");
		expect(shAssignment(script, "served_token_url")).toBe("");
		expect(script).not.toContain("evil.example");
	});

	it("renders hostile configured values as inert single-quoted words", async () => {
		for (const value of HOSTILE) {
			const res = await get("https://worker.example/api/pipeline/upload.sh", {
				PUBLIC_BASE_URL: value,
				OIDC_TOKEN_URL: value,
			});
			const script = await res.text();
			const expected = printable(value);
			expect(shAssignment(script, "served_token_url")).toBe(expected.trim());
			expect(shAssignment(script, "served_base_url")).toBe(expected.trim().replace(/\/+$/, ""));
			// Nothing the value carried started a line of its own.
			expect(script).not.toMatch(/^rm -rf/m);
		}
	});
});

describe("GET /api/pipeline/upload.ps1", () => {
	it("fills in the URLs as PowerShell single-quoted strings", async () => {
		const res = await get("https://worker.example/api/pipeline/upload.ps1", {
			PUBLIC_BASE_URL: "https://ota.example.com",
			OIDC_TOKEN_URL: "https://id.example.com/token",
		});
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
		const script = await res.text();
		expect(ps1Assignment(script, "ServedBaseUrl")).toBe("https://ota.example.com");
		expect(ps1Assignment(script, "ServedTokenUrl")).toBe("https://id.example.com/token");
		expect(script).not.toContain("__OTA_");
	});

	it("uses the request's own origin and ignores forwarding headers", async () => {
		const res = await get(
			"http://127.0.0.1:8787/api/pipeline/upload.ps1",
			{ PUBLIC_BASE_URL: "" },
			{ "X-Forwarded-Host": "evil.example", Forwarded: "host=evil.example" },
		);
		const script = await res.text();
		expect(ps1Assignment(script, "ServedBaseUrl")).toBe("http://127.0.0.1:8787");
		expect(script).not.toContain("evil.example");
	});

	it("renders hostile configured values inert, typographic quotes included", async () => {
		for (const value of HOSTILE) {
			const res = await get("https://worker.example/api/pipeline/upload.ps1", {
				PUBLIC_BASE_URL: value,
				OIDC_TOKEN_URL: value,
			});
			const script = await res.text();
			const expected = printable(value);
			expect(ps1Assignment(script, "ServedTokenUrl")).toBe(expected.trim());
			expect(ps1Assignment(script, "ServedBaseUrl")).toBe(expected.trim().replace(/\/+$/, ""));
			expect(script).not.toMatch(/^rm -rf|^\$env:PATH/m);
		}
	});

	it("keeps the parts PowerShell 5.1 needs", () => {
		const script = renderUploadScript("ps1", { baseUrl: "https://x", tokenUrl: "" });
		expect(script).toContain("[Net.SecurityProtocolType]::Tls12");
		expect(script).toContain("-UseBasicParsing");
		expect(script).toContain("InFile = $body");
		expect(script).toContain("GetResponseStream()");
		// Windows PowerShell 5.1 has no pipeline chain operators, ternary or null coalescing.
		const code = script.replace(/<#[\s\S]*?#>/, "").replace(/'[^'\n]*'/g, "''");
		expect(code).not.toMatch(/&&|\|\||\?\?| \? .* : /);
	});
});

// Every character either quoting treats specially, mixed with any other.
const quotingCharacter = fc.oneof(
	fc.constantFrom(..."'\u2018\u2019\u201a\u201b\"\\$`\n\r\u0000\u2028;&|"),
	fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);

describe("literals", () => {
	it("round-trip any value (less control characters) through sh and PowerShell quoting", () => {
		fc.assert(
			fc.property(fc.string({ unit: quotingCharacter }), (value) => {
				expect(shUnquote(shLiteral(value))).toBe(printable(value));
				expect(ps1Unquote(ps1Literal(value))).toBe(printable(value));
				expect(shLiteral(value)).not.toMatch(/[\r\n\0]/);
				expect(ps1Literal(value)).not.toMatch(/[\r\n\0]/);
			}),
		);
	});

	it("refuses a template whose placeholder is missing or repeated", () => {
		const values = { baseUrl: "https://x", tokenUrl: "" };
		expect(() => fillUploadScript("x='__OTA_BASE_URL__'\n", "sh", values)).toThrow(/TOKEN/);
		expect(() =>
			fillUploadScript("'__OTA_BASE_URL__' '__OTA_BASE_URL__' '__OTA_TOKEN_URL__'", "sh", values),
		).toThrow(/BASE/);
	});

	it("gives sh templates LF line endings", () => {
		const script = fillUploadScript("a='__OTA_BASE_URL__'\r\nb='__OTA_TOKEN_URL__'\r\n", "sh", {
			baseUrl: "u",
			tokenUrl: "t",
		});
		expect(script).toBe("a='u'\nb='t'\n");
	});
});

describe("upload.sh and upload.ps1", () => {
	it("say the same things, step for step", () => {
		const sh = renderUploadScript("sh", { baseUrl: "https://x", tokenUrl: "" });
		const ps1 = renderUploadScript("ps1", { baseUrl: "https://x", tokenUrl: "" });
		for (const message of [
			"build/project_description.json here: run this in the ESP-IDF project root",
			"is not a model code (1-50 characters of a-z, 0-9 and _)",
			"pass the model code as the first argument",
			"pass the image path as the second argument",
			"uploading the bare app image (core dumps of this version cannot be decoded against its ELF)",
			"no credentials: set IOTSUPPORT_TOKEN to a bearer token with the pipeline role",
			"has no token URL configured: set IOTSUPPORT_TOKEN or IOTSUPPORT_TOKEN_URL",
			"the token URL refused the client credentials (HTTP",
			"is not a bearer token (it is empty or has characters a token cannot have)",
			"the server refused the upload: HTTP",
			"(the token needs the pipeline or admin role)",
			"/api/pipeline/models/$model/firmware",
			"Stored firmware version",
			"Unchanged: this image was already stored as version",
			"Replaced: version",
			"grant_type",
			"client_credentials",
			"git_revision",
			"project_version",
			"config_file",
		]) {
			expect(sh, message).toContain(message);
			expect(ps1, message).toContain(message);
		}
	});
});

describe("through the Worker", () => {
	it("serves both scripts publicly, for the origin the request reached", async () => {
		for (const kind of ["sh", "ps1"]) {
			const res = await exports.default.fetch(`https://ota.test/api/pipeline/upload.${kind}`, {
				headers: { "X-Forwarded-Host": "evil.example", Forwarded: "host=evil.example" },
			});
			expect(res.status).toBe(200);
			const script = await res.text();
			expect(script).toContain("'https://ota.test'");
			expect(script).not.toContain("evil.example");
		}
	});

	it("lists both scripts in /api/openapi.json", async () => {
		const doc = (await (
			await exports.default.fetch("https://ota.test/api/openapi.json")
		).json()) as {
			paths: Record<string, { get?: unknown }>;
		};
		expect(doc.paths["/api/pipeline/upload.sh"]?.get).toBeDefined();
		expect(doc.paths["/api/pipeline/upload.ps1"]?.get).toBeDefined();
	});
});

describe("OpenAPI", () => {
	it("documents both scripts", () => {
		const doc = uploadScriptRoutes.getOpenAPI31Document({
			openapi: "3.1.0",
			info: { title: "t", version: "1" },
		});
		expect(doc.paths?.["/api/pipeline/upload.sh"]?.get?.responses?.["200"]).toBeDefined();
		expect(doc.paths?.["/api/pipeline/upload.ps1"]?.get?.responses?.["200"]).toBeDefined();
	});
});
