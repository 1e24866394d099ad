import { describe, expect, it } from "vitest";
import { errorOf } from "../helpers/api";
import { call } from "./call";

/** The console's page (SPEC §14): one shell for every console path, under a strict policy. */
describe("the console's page", () => {
	it.each([
		"/",
		"/models/thermo_v2",
		"/models/thermo_v2/crashes/ab12",
		"/devices",
		"/devices/k7dq2mxa",
		"/devices/k7dq2mxa/coredumps/x",
		"/signin/callback",
	])("is served at %s with a strict Content-Security-Policy", async (path) => {
		const res = await call(path);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
		const csp = res.headers.get("content-security-policy") ?? "";
		expect(csp.split("; ")).toEqual(
			expect.arrayContaining([
				"default-src 'none'",
				"script-src 'self'",
				"style-src 'self'",
				"connect-src 'self'",
				"frame-ancestors 'none'",
				"base-uri 'none'",
				"require-trusted-types-for 'script'",
			]),
		);
		expect(csp).not.toMatch(/unsafe|data:|\*/);
		expect(res.headers.get("referrer-policy")).toBe("no-referrer");
		expect(res.headers.get("x-frame-options")).toBe("DENY");
		expect(res.headers.get("cache-control")).toBe("no-store");
		const html = await res.text();
		expect(html).toContain('<script type="module" src="/assets/console.js"></script>');
		expect(html.match(/<script/g)).toHaveLength(1);
		expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
	});

	it("answers HEAD without a body", async () => {
		const res = await call("/", {}, { method: "HEAD" });
		expect(res.status).toBe(200);
		expect(await res.text()).toBe("");
	});

	it("leaves other paths to the API's 404 and 405", async () => {
		for (const path of ["/nothing-here", "/api/console", "/assets-not"]) {
			const res = await call(path);
			expect(res.status, path).toBe(404);
			expect((await errorOf(res)).code).toBe("ROUTE_NOT_FOUND");
		}
		const post = await call("/", {}, { method: "POST" });
		expect(post.status).toBe(405);
		expect(post.headers.get("allow")).toContain("GET");
	});

	it("changes nothing of the API's authentication", async () => {
		const res = await call("/api/device-models");
		expect(res.status).toBe(401);
		expect((await errorOf(res)).code).toBe("AUTH_REQUIRED");
	});
});
