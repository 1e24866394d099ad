import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { CONSOLE_PAGES, consolePage } from "../console/shell";
import { consoleSignIn, publicConfig, TOKEN_RELAY_PATH } from "../console/sign-in-config";
import { relayTokenRequest, tokenRequestForm } from "../console/token-relay";
import { AppError, PayloadTooLarge } from "../errors";
import type { AppEnv } from "../hono-env";

/**
 * The operator console (SPEC §14): its page, its public sign-in settings and its token relay.
 * None of these is an API endpoint: the console uses the API as any client does, with the
 * bearer token it signed in for. Static files (/assets/*) never reach the Worker.
 */
export const consoleRoutes = new Hono<AppEnv>();

for (const path of CONSOLE_PAGES) {
	consoleRoutes.get(path, (c) => consolePage(c.req.method));
}

consoleRoutes.get("/console/config.json", async (c) => {
	const config = publicConfig(await consoleSignIn(c.env));
	c.header("Cache-Control", "no-store");
	return c.json(config, 200);
});

const FORM_LIMIT = 16 * 1024;

consoleRoutes.post(
	TOKEN_RELAY_PATH,
	bodyLimit({
		maxSize: FORM_LIMIT,
		onError: () => {
			throw new PayloadTooLarge(FORM_LIMIT, "token request");
		},
	}),
	async (c) => {
		const signIn = await consoleSignIn(c.env);
		const type = c.req.header("content-type") ?? "";
		if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
			throw new AppError(
				"UNSUPPORTED_MEDIA_TYPE",
				"A token request is an application/x-www-form-urlencoded form.",
			);
		}
		const origin = new URL(c.req.url).origin;
		const form = tokenRequestForm(signIn, new URLSearchParams(await c.req.text()), origin);
		const answer = await relayTokenRequest(signIn, form);
		// Tokens: never cached by anything between the Worker and the browser.
		c.header("Cache-Control", "no-store");
		c.header("Pragma", "no-cache");
		return c.json(answer, 200);
	},
);
