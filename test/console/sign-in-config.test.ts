import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorOf } from "../helpers/api";
import { call, fakeProvider, freshIssuer } from "./call";

/** `/console/config.json`: what the browser needs to sign in, read from the provider's discovery. */
let provider: ReturnType<typeof fakeProvider>;
beforeEach(() => {
	provider = fakeProvider();
});
afterEach(() => provider.restore());

const configured = (issuer: string) => ({
	OIDC_ISSUER: issuer,
	OIDC_CONSOLE_CLIENT_ID: "ota-console",
});

describe("the console's sign-in settings", () => {
	it("name the provider's authorization endpoint, the client and the Worker's token relay", async () => {
		const issuer = freshIssuer();
		provider.discovery(issuer, { end_session_endpoint: `${issuer}/logout` });
		const res = await call("/console/config.json", configured(issuer));
		expect(res.status).toBe(200);
		expect(res.headers.get("cache-control")).toBe("no-store");
		expect(await res.json()).toEqual({
			issuer,
			client_id: "ota-console",
			scope: "openid profile",
			authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
			end_session_endpoint: `${issuer}/logout`,
			token_endpoint: "/console/token",
			redirect_path: "/signin/callback",
		});
	});

	it("read discovery once per isolate, not per page load", async () => {
		const issuer = freshIssuer();
		provider.discovery(issuer);
		for (let i = 0; i < 3; i++)
			expect((await call("/console/config.json", configured(issuer))).status).toBe(200);
		expect(provider.requests.map((r) => r.url)).toEqual([
			`${issuer}/.well-known/openid-configuration`,
		]);
	});

	it("are closed until the console's client is configured", async () => {
		const res = await call("/console/config.json", { OIDC_CONSOLE_CLIENT_ID: "" });
		expect(res.status).toBe(503);
		expect((await errorOf(res)).code).toBe("CONSOLE_NOT_CONFIGURED");
		const noIssuer = await call("/console/config.json", {
			OIDC_ISSUER: "",
			OIDC_CONSOLE_CLIENT_ID: "c",
		});
		expect(noIssuer.status).toBe(503);
		expect((await errorOf(noIssuer)).code).toBe("AUTH_NOT_CONFIGURED");
		expect(provider.requests).toEqual([]);
	});

	it.each([
		["answers 500", () => new Response("oops", { status: 500 })],
		["is not JSON", () => new Response("<html>")],
		[
			"names another issuer",
			(issuer: string) =>
				Response.json({
					issuer: "https://evil.test",
					authorization_endpoint: `${issuer}/a`,
					token_endpoint: `${issuer}/t`,
				}),
		],
		[
			"has no token endpoint",
			(issuer: string) => Response.json({ issuer, authorization_endpoint: `${issuer}/a` }),
		],
		[
			"sends the browser over plain http",
			(issuer: string) =>
				Response.json({
					issuer,
					authorization_endpoint: "http://id.test/a",
					token_endpoint: `${issuer}/t`,
				}),
		],
	])("are unavailable (503) when discovery %s, and retried next time", async (_, answer) => {
		const issuer = freshIssuer();
		const url = `${issuer}/.well-known/openid-configuration`;
		provider.answers.set(url, () => answer(issuer));
		const res = await call("/console/config.json", configured(issuer));
		expect(res.status).toBe(503);
		expect((await errorOf(res)).code).toBe("AUTH_UNAVAILABLE");
		provider.discovery(issuer);
		expect((await call("/console/config.json", configured(issuer))).status).toBe(200);
	});

	it("accept a local provider on a loopback address over http", async () => {
		const issuer = "http://127.0.0.1:8786";
		provider.discovery(issuer);
		const res = await call("/console/config.json", configured(issuer));
		expect(res.status).toBe(200);
		expect(((await res.json()) as { authorization_endpoint: string }).authorization_endpoint).toBe(
			`${issuer}/protocol/openid-connect/auth`,
		);
	});
});
