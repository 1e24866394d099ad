/**
 * Signing in to the console (SPEC §14): authorization code + PKCE against the configured
 * provider, the token kept in the page's memory only, and a page no inline code can run in.
 */
import type { Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, watchProblems } from "./flows";
import { type ConsoleWorld, openConsole } from "./world";

let world: ConsoleWorld;
beforeAll(async () => {
	world = await openConsole();
});
afterAll(() => world?.close());

describe("the console's page", () => {
	it("is served with a strict Content-Security-Policy and holds no inline code", async () => {
		const res = await fetch(`${world.base}/models/anything`);
		expect(res.status).toBe(200);
		const csp = res.headers.get("content-security-policy") ?? "";
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("script-src 'self'");
		expect(csp).toContain("connect-src 'self'");
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).not.toContain("unsafe");
		expect(res.headers.get("referrer-policy")).toBe("no-referrer");
		const html = await res.text();
		for (const tag of html.match(/<script\b[^>]*>/g) ?? [])
			expect(tag).toMatch(/\ssrc="\/assets\//);
		expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
	});

	it("serves its script and styles from the Worker itself, built by wrangler", async () => {
		for (const [path, type] of [
			["/assets/console.js", "javascript"],
			["/assets/console.css", "css"],
		]) {
			const res = await fetch(`${world.base}${path}`);
			expect(res.status, path).toBe(200);
			expect(res.headers.get("content-type")).toContain(type);
			expect(res.headers.get("x-content-type-options")).toBe("nosniff");
			expect((await res.text()).length).toBeGreaterThan(1000);
		}
	});
});

describe("sign-in", () => {
	it("uses the code flow with PKCE and keeps tokens out of URLs, storage and logs", async () => {
		const page = await world.page();
		const problems = watchProblems(page);
		const requests: Request[] = [];
		page.on("request", (r) => requests.push(r));
		const exchanged = page.waitForResponse((r) => r.url().endsWith("/console/token"));
		await signIn(page, world.base, "/devices");
		const tokens = (await (await exchanged).json()) as {
			access_token: string;
			refresh_token: string | null;
		};
		expect(tokens.access_token.split(".")).toHaveLength(3);

		// It went to the provider with a challenge, and came back to where it started.
		const authorize = new URL(
			requests.find((r) => r.url().startsWith(`${world.issuer}/authorize`))?.url() ?? "",
		);
		expect(authorize.searchParams.get("response_type")).toBe("code");
		expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
		expect(authorize.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
		await page.getByRole("heading", { name: "Devices" }).waitFor();
		expect(new URL(page.url()).pathname).toBe("/devices");
		expect(page.url()).not.toContain("code=");

		// The API is called with the token as a bearer header, and nowhere else.
		const apiCall = requests.find((r) => r.url().startsWith(`${world.base}/api/`));
		expect(apiCall?.headers().authorization).toBe(`Bearer ${tokens.access_token}`);
		const secrets = [tokens.access_token, tokens.refresh_token].filter((t): t is string => !!t);
		for (const secret of secrets) {
			for (const r of requests) expect(r.url()).not.toContain(secret);
			const storage = await page.evaluate(() => {
				const tab = globalThis as unknown as Record<"localStorage" | "sessionStorage", object>;
				return JSON.stringify([
					Object.entries(tab.localStorage),
					Object.entries(tab.sessionStorage),
				]);
			});
			expect(storage).not.toContain(secret);
			for (const cookie of await page.context().cookies())
				expect(cookie.value).not.toContain(secret);
		}
		expect(problems).toEqual([]);
		await page.context().close();
	});

	it("signs in again by itself after a reload, back on the same page", async () => {
		const page = await world.page();
		await signIn(page, world.base, "/");
		await page.goto(`${world.base}/devices`);
		await page.getByRole("heading", { name: "Devices" }).waitFor();
		await page.getByRole("button", { name: "Sign out" }).waitFor();
		expect(new URL(page.url()).pathname).toBe("/devices");
		await page.context().close();
	});

	it("refreshes a token the API calls expired, and repeats the call", async () => {
		const page = await world.page();
		await signIn(page, world.base, "/");
		let refused = 0;
		await page.route(`${world.base}/api/devices`, async (route) => {
			if (refused++ > 0) return route.fallback();
			await route.fulfill({
				status: 401,
				json: { error: "The token has expired.", code: "TOKEN_EXPIRED" },
			});
		});
		const refresh = page.waitForRequest(
			(r) => r.url().endsWith("/console/token") && (r.postData() ?? "").includes("refresh_token"),
		);
		await page.getByRole("link", { name: "Devices", exact: true }).click();
		await refresh;
		await page.getByRole("heading", { name: "Devices" }).waitFor();
		await page.getByText("No devices.").or(page.locator("table.devices")).first().waitFor();
		expect(refused).toBe(2);
		expect(await page.getByText("Your session has ended").count()).toBe(0);
		await page.context().close();
	});

	it("says the session ended when the token cannot be renewed", async () => {
		const page = await world.page();
		await signIn(page, world.base, "/");
		await page.route(`${world.base}/api/devices`, (route) =>
			route.fulfill({
				status: 401,
				json: { error: "The token has expired.", code: "TOKEN_EXPIRED" },
			}),
		);
		await page.route(`${world.base}/console/token`, (route) =>
			route.fulfill({
				status: 400,
				json: { error: "The identity provider refused the sign-in.", code: "SIGN_IN_REFUSED" },
			}),
		);
		await page.getByRole("link", { name: "Devices", exact: true }).click();
		await page.getByText("Your session has ended").waitFor();
		await page.unrouteAll();
		await page.getByRole("button", { name: "Sign in again" }).click();
		await page.waitForURL((url) => url.pathname === "/devices");
		await page.getByRole("button", { name: "Sign out" }).waitFor();
		await page.context().close();
	});

	it("signs out: the token is forgotten and a reload stays signed out", async () => {
		const page = await world.page();
		await signIn(page, world.base, "/");
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByRole("button", { name: "Sign in" }).waitFor();
		await page.reload();
		await page.getByRole("button", { name: "Sign in" }).waitFor();
		expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
		await page.context().close();
	});

	it("shows the provider's refusal instead of signing in", async () => {
		const page = await world.page();
		await page.goto(`${world.base}/signin/callback?error=access_denied&error_description=No+way`);
		await page.getByRole("alert").waitFor();
		expect(await page.getByRole("alert").textContent()).toContain("access_denied: No way");
		expect(new URL(page.url()).search).toBe("");
		await page.context().close();
	});
});
