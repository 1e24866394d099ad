import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorOf } from "../helpers/api";
import { captureLogs } from "../helpers/log-capture";
import { call, fakeProvider, freshIssuer } from "./call";

/**
 * `/console/token`: the console's two public-client grants passed to the provider's token
 * endpoint, since some providers answer no CORS there. It adds nothing and keeps nothing.
 */
let provider: ReturnType<typeof fakeProvider>;
let issuer: string;
let tokenUrl: string;
beforeEach(() => {
	provider = fakeProvider();
	issuer = freshIssuer();
	tokenUrl = `${issuer}/protocol/openid-connect/token`;
	provider.discovery(issuer);
});
afterEach(() => provider.restore());

const env = () => ({ OIDC_ISSUER: issuer, OIDC_CONSOLE_CLIENT_ID: "ota-console" });
const VERIFIER = "v".repeat(43);
const exchange = (
	fields: Record<string, string>,
	contentType = "application/x-www-form-urlencoded",
) =>
	call("/console/token", env(), {
		method: "POST",
		headers: { "content-type": contentType },
		body: new URLSearchParams(fields).toString(),
	});
const codeGrant = (extra: Record<string, string> = {}) => ({
	grant_type: "authorization_code",
	client_id: "ota-console",
	code: "the-code",
	code_verifier: VERIFIER,
	redirect_uri: "https://ota.test/signin/callback",
	...extra,
});
const tokens = {
	access_token: "header.access.sig",
	token_type: "Bearer",
	expires_in: 300,
	refresh_token: "refresh-1",
	id_token: "header.id.sig",
	scope: "openid profile",
	session_state: "kept-out",
};

describe("the console's token relay", () => {
	it("exchanges a code with its PKCE verifier, sending the provider only the grant's fields", async () => {
		provider.answers.set(tokenUrl, () => Response.json(tokens));
		const logs = captureLogs();
		const res = await exchange(codeGrant({ client_secret: "never-forwarded", extra: "x" }));
		expect(res.status).toBe(200);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const { session_state: _, ...expected } = tokens;
		expect(await res.json()).toEqual(expected);
		const sent = provider.requests.find((r) => r.url === tokenUrl);
		expect(sent?.method).toBe("POST");
		expect(sent?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
		expect(Object.fromEntries(new URLSearchParams(await sent?.text()))).toEqual({
			client_id: "ota-console",
			grant_type: "authorization_code",
			code: "the-code",
			code_verifier: VERIFIER,
			redirect_uri: "https://ota.test/signin/callback",
		});
		for (const secret of ["the-code", VERIFIER, tokens.access_token, tokens.refresh_token]) {
			expect(logs.allText()).not.toContain(secret);
		}
	});

	it("refreshes with a refresh token", async () => {
		provider.answers.set(tokenUrl, () => Response.json({ access_token: "a.b.c", expires_in: 60 }));
		const res = await exchange({
			grant_type: "refresh_token",
			client_id: "ota-console",
			refresh_token: "r-1",
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			access_token: "a.b.c",
			expires_in: 60,
			refresh_token: null,
		});
		const sent = provider.requests.find((r) => r.url === tokenUrl);
		expect(Object.fromEntries(new URLSearchParams(await sent?.text()))).toEqual({
			client_id: "ota-console",
			grant_type: "refresh_token",
			refresh_token: "r-1",
		});
	});

	it.each([
		["another client", codeGrant({ client_id: "someone-else" }), "client_id"],
		[
			"a redirect to another site",
			codeGrant({ redirect_uri: "https://evil.test/signin/callback" }),
			"redirect_uri",
		],
		["a verifier too short for PKCE", codeGrant({ code_verifier: "short" }), "code_verifier"],
		["no code", codeGrant({ code: "" }), "code"],
		["the password grant", { grant_type: "password", client_id: "ota-console" }, "grant_type"],
		[
			"client credentials",
			{ grant_type: "client_credentials", client_id: "ota-console" },
			"grant_type",
		],
	])("refuses %s before asking the provider", async (_, fields, field) => {
		const res = await exchange(fields);
		expect(res.status).toBe(400);
		const body = await errorOf(res);
		expect(body.code).toBe("VALIDATION_FAILED");
		expect(JSON.stringify(body.details)).toContain(field);
		expect(provider.requests.some((r) => r.url === tokenUrl)).toBe(false);
	});

	it("takes only a form", async () => {
		const res = await exchange(codeGrant(), "application/json");
		expect(res.status).toBe(415);
		expect((await errorOf(res)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
	});

	it("passes on the provider's refusal in its own words", async () => {
		provider.answers.set(tokenUrl, () =>
			Response.json(
				{ error: "invalid_grant", error_description: "Code not valid" },
				{ status: 400 },
			),
		);
		const res = await exchange(codeGrant());
		expect(res.status).toBe(400);
		const body = await errorOf(res);
		expect(body.code).toBe("SIGN_IN_REFUSED");
		expect(body.error).toContain("invalid_grant: Code not valid");
	});

	it("says the provider is unavailable when its token endpoint fails", async () => {
		for (const answer of [
			() => new Response("down", { status: 502 }),
			() => Response.json({ token_type: "Bearer" }),
			() => {
				throw new TypeError("network");
			},
		]) {
			provider.answers.set(tokenUrl, answer);
			const res = await exchange(codeGrant());
			expect(res.status).toBe(503);
			expect((await errorOf(res)).code).toBe("AUTH_UNAVAILABLE");
		}
	});

	it("is closed until the console's client is configured", async () => {
		const res = await call(
			"/console/token",
			{ OIDC_CONSOLE_CLIENT_ID: "" },
			{
				method: "POST",
				headers: { "content-type": "application/x-www-form-urlencoded" },
				body: new URLSearchParams(codeGrant()).toString(),
			},
		);
		expect(res.status).toBe(503);
		expect((await errorOf(res)).code).toBe("CONSOLE_NOT_CONFIGURED");
	});
});
