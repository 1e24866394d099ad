import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type MockInstance, vi } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/env";

/** Calls the app as a browser would, with the test env changed by `overrides`. */
export async function call(
	path: string,
	overrides: Partial<Env> = {},
	init: RequestInit = {},
): Promise<Response> {
	const ctx = createExecutionContext();
	const res = await app.fetch(
		new Request(`https://ota.test${path}`, init),
		{ ...env, ...overrides },
		ctx,
	);
	await waitOnExecutionContext(ctx);
	return res;
}

let issuers = 0;
/** An issuer no other test used: discovery is cached per issuer and isolate. */
export const freshIssuer = () => `https://id-${++issuers}-${Date.now()}.test/realms/ops`;

export type Answer = (request: Request) => Response | Promise<Response>;

/**
 * The identity provider as the Worker sees it: answers by URL, and every request it got.
 * `provider.discovery(issuer)` serves a discovery document naming its endpoints.
 */
export function fakeProvider() {
	const answers = new Map<string, Answer>();
	const requests: Request[] = [];
	const spy: MockInstance<typeof fetch> = vi
		.spyOn(globalThis, "fetch")
		.mockImplementation(async (input, init) => {
			const request = new Request(input, init);
			requests.push(request.clone());
			const answer = answers.get(request.url);
			return answer ? answer(request) : new Response("not here", { status: 404 });
		});
	return {
		answers,
		requests,
		restore: () => spy.mockRestore(),
		discovery(issuer: string, extra: Record<string, unknown> = {}) {
			answers.set(`${issuer}/.well-known/openid-configuration`, () =>
				Response.json({
					issuer,
					authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
					token_endpoint: `${issuer}/protocol/openid-connect/token`,
					jwks_uri: `${issuer}/protocol/openid-connect/certs`,
					...extra,
				}),
			);
		},
	};
}
