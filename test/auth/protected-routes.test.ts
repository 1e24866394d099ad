import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/env";
import { allowedMethods } from "../../src/http/method-not-allowed";
import { errorOf } from "../helpers/api";
import { foreignKey, signWith } from "../helpers/jwt-forge";
import { adminToken } from "../helpers/tokens";

/**
 * Walks the routes the app has mounted right now, so an endpoint added later is covered without
 * touching this file: none but the public ones answers without a valid token.
 */

const PUBLIC = new Set([
	"GET /api/health",
	"GET /api/openapi.json",
	"GET /api/pipeline/upload.sh",
	"GET /api/pipeline/upload.ps1",
	// The operator console (SPEC §14): its page, its sign-in settings and its token relay are
	// how a browser comes to hold a token, so they cannot ask for one. They serve no data.
	"GET /",
	"GET /devices",
	"GET /signin/callback",
	"GET /console/config.json",
	"POST /console/token",
]);

/** Path parameters filled with values that pass their rules (SPEC §2). */
const SAMPLES: Record<string, string> = {
	code: "thermo_v2",
	key: "k7dq2mxa",
	version: "1.0.0",
	sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	id: "coredump_20310102T030405_abc123Z",
};

function concrete(pattern: string): string {
	return pattern.replace(
		/:(\w+)(\{[^}]*\})?/g,
		(_, name: string) => SAMPLES[name] ?? `sample_${name}`.toLowerCase(),
	);
}

interface Endpoint {
	method: string;
	pattern: string;
	path: string;
}

function mountedEndpoints(): Endpoint[] {
	const seen = new Map<string, Endpoint>();
	for (const route of app.routes) {
		if (route.path.includes("*")) continue; // middleware mounted with app.use
		const method = route.method === "ALL" ? "GET" : route.method;
		seen.set(`${method} ${route.path}`, {
			method,
			pattern: route.path,
			path: concrete(route.path),
		});
	}
	return [...seen.values()].sort((a, b) =>
		`${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`),
	);
}

const mounted = mountedEndpoints();
const isPublic = (e: { method: string; pattern: string }) => PUBLIC.has(`${e.method} ${e.pattern}`);
const protectedEndpoints = mounted.filter((e) => !isPublic(e));

/** Every protected endpoint of SPEC §4: each must be mounted. */
const SPEC_ENDPOINTS: [method: string, path: string][] = [
	["GET", "/api/device-models"],
	["POST", "/api/device-models"],
	["GET", "/api/device-models/:code"],
	["PATCH", "/api/device-models/:code"],
	["DELETE", "/api/device-models/:code"],
	["POST", "/api/device-models/:code/firmware"],
	["GET", "/api/device-models/:code/firmware"],
	["HEAD", "/api/device-models/:code/firmware"],
	["GET", "/api/device-models/:code/firmware/versions"],
	["GET", "/api/device-models/:code/firmware/versions/:version/bin"],
	["GET", "/api/device-models/:code/firmware/versions/:version/zip"],
	["POST", "/api/device-models/:code/firmware/versions/:version/activate"],
	["DELETE", "/api/device-models/:code/firmware/versions/:version"],
	["GET", "/api/devices"],
	["POST", "/api/devices"],
	["GET", "/api/devices/:key"],
	["PATCH", "/api/devices/:key"],
	["DELETE", "/api/devices/:key"],
	["GET", "/api/devices/:key/coredumps"],
	["DELETE", "/api/devices/:key/coredumps"],
	["GET", "/api/devices/:key/coredumps/:id"],
	["DELETE", "/api/devices/:key/coredumps/:id"],
	["GET", "/api/devices/:key/coredumps/:id/download"],
	["POST", "/api/pipeline/models/:code/firmware"],
	["GET", "/api/pipeline/models/:code/firmware-version"],
	["GET", "/api/iot/firmware"],
	["HEAD", "/api/iot/firmware"],
	["GET", "/api/iot/firmware/:sha256"],
	["HEAD", "/api/iot/firmware/:sha256"],
	["GET", "/api/iot/firmware-version"],
	["POST", "/api/iot/coredump"],
];

/** A request as a client would send it: writes carry a body, device uploads their query. */
function request(method: string, path: string, token?: string): Request {
	const headers = new Headers();
	if (token) headers.set("authorization", `Bearer ${token}`);
	let body: BodyInit | undefined;
	if (method === "PATCH" || (method === "POST" && /\/api\/(device-models|devices)$/.test(path))) {
		headers.set("content-type", "application/json");
		body = "{}";
	} else if (method === "POST") {
		body = new Uint8Array([0xe9, 0, 0, 0]);
	}
	const query = path === "/api/iot/coredump" ? "?chip=esp32&firmware_version=1.0.0" : "";
	return new Request(`http://ota.test${path}${query}`, { method, headers, body });
}

async function send(req: Request, overrides: Partial<Env> = {}): Promise<Response> {
	const ctx = createExecutionContext();
	const res = await app.fetch(req, { ...env, ...overrides }, ctx);
	await waitOnExecutionContext(ctx);
	return res;
}

async function expectError(res: Response, status: number, code: string, what: string) {
	expect(res.status, what).toBe(status);
	if (res.status !== status) return;
	if (status === 401) expect(res.headers.get("www-authenticate"), what).toMatch(/^Bearer /);
	expect((await errorOf(res)).code, what).toBe(code);
}

describe("the route walk itself", () => {
	it("finds the mounted endpoints, public and protected", () => {
		const listed = mounted.map((e) => `${e.method} ${e.pattern}`);
		expect(listed).toContain("GET /api/health");
		expect(listed).toContain("GET /api/device-models");
		expect(listed).toContain("PATCH /api/devices/:key");
		expect(protectedEndpoints.length).toBeGreaterThanOrEqual(10);
		for (const e of protectedEndpoints) expect(e.path, e.pattern).not.toContain(":");
	});
});

describe("without a token", () => {
	it.each(protectedEndpoints)("$method $pattern answers 401 AUTH_REQUIRED", async (e) => {
		const res = await send(request(e.method, e.path));
		await expectError(res, 401, "AUTH_REQUIRED", `${e.method} ${e.path}`);
	});

	it.each(protectedEndpoints.filter((e) => e.method === "GET"))(
		"HEAD $pattern answers 401 with a Bearer challenge",
		async (e) => {
			const res = await send(request("HEAD", e.path));
			expect(res.status).toBe(401);
			expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
			expect(await res.text()).toBe("");
		},
	);
});

describe("with a token from an untrusted key", () => {
	it.each(protectedEndpoints)("$method $pattern answers 401 TOKEN_INVALID", async (e) => {
		const stranger = await foreignKey("ES256", "test-key-1");
		const token = await signWith(stranger, {
			roles: ["admin"],
			azp: `iotdevice-${SAMPLES.code}-${SAMPLES.key}`,
		});
		const res = await send(request(e.method, e.path, token));
		await expectError(res, 401, "TOKEN_INVALID", `${e.method} ${e.path}`);
	});
});

describe("with authentication not configured", () => {
	const unconfigured = { OIDC_ISSUER: undefined } satisfies Partial<Env>;

	it.each(protectedEndpoints)("$method $pattern answers 503 AUTH_NOT_CONFIGURED", async (e) => {
		const what = `${e.method} ${e.path}`;
		await expectError(
			await send(request(e.method, e.path), unconfigured),
			503,
			"AUTH_NOT_CONFIGURED",
			what,
		);
		const withToken = await send(request(e.method, e.path, await adminToken()), unconfigured);
		await expectError(withToken, 503, "AUTH_NOT_CONFIGURED", what);
	});

	for (const [method, pattern] of SPEC_ENDPOINTS) {
		const path = concrete(pattern);
		it(`SPEC ${method} ${pattern} is mounted and answers 503`, async () => {
			expect(allowedMethods(app, path), `${method} ${pattern}`).toContain(method);
			const res = await send(request(method, path), unconfigured);
			expect(res.status).toBe(503);
			// A HEAD answer has no body to read the code from.
			if (method !== "HEAD") expect((await errorOf(res)).code).toBe("AUTH_NOT_CONFIGURED");
		});
	}

	for (const endpoint of PUBLIC) {
		const [method = "GET", path = ""] = endpoint.split(" ");
		// The console's sign-in has nothing to offer without an issuer: closed, not 200.
		const signIn = path.startsWith("/console/");
		it(`keeps ${endpoint} public`, async () => {
			expect(mounted.map((e) => `${e.method} ${e.pattern}`)).toContain(endpoint);
			const res = await send(new Request(`http://ota.test${path}`, { method }), unconfigured);
			expect(res.status).toBe(signIn ? 503 : 200);
			if (signIn) expect((await errorOf(res)).code).toBe("AUTH_NOT_CONFIGURED");
			expect(res.headers.get("www-authenticate")).toBeNull();
		});
	}
});
