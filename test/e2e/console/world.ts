/*
 * The operator console in a real browser: Debian's Chromium driven by playwright-core (which
 * downloads no browser of its own), against the Worker and local OpenID provider that
 * global-setup.ts started.
 */
import { importJWK, type JWTPayload, SignJWT } from "jose";
import { type Browser, chromium, type Page } from "playwright-core";
import { inject } from "vitest";
import { fs, nodeProcess } from "../node-builtins";
import { CONSOLE_AUDIENCE } from "./global-setup";

const CHROMIUM = nodeProcess.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = new URL("../../..", (import.meta as ImportMeta & { url: string }).url).pathname;

declare module "vitest" {
	export interface ProvidedContext {
		/** Origin of the Worker that serves the console, e.g. `http://127.0.0.1:40125`. */
		consoleBaseUrl: string;
		/** The local OpenID provider that Worker signs in with (and trusts). */
		consoleIssuer: string;
		/** The provider's private JWK (JSON). */
		consoleSigningJwk: string;
	}
}

export interface ConsoleWorld {
	base: string;
	issuer: string;
	browser: Browser;
	/** A token the Worker trusts, as the provider would issue it. */
	token(claims: JWTPayload): Promise<string>;
	admin(): Promise<string>;
	/** A page in a fresh browser context (its own storage and cookies). */
	page(viewport?: { width: number; height: number }): Promise<Page>;
	close(): Promise<void>;
}

export const PHONE = { width: 390, height: 844 };

export async function openConsole(): Promise<ConsoleWorld> {
	const jwk = JSON.parse(inject("consoleSigningJwk")) as { kid: string };
	const issuer = inject("consoleIssuer");
	const key = await importJWK(jwk, "ES256");
	const browser = await chromium.launch({ executablePath: CHROMIUM }).catch((err) => {
		throw new Error(`Chromium did not start from ${CHROMIUM} (apt-get install chromium): ${err}`);
	});
	const token = (claims: JWTPayload) =>
		new SignJWT({ sub: "e2e", ...claims })
			.setProtectedHeader({ alg: "ES256", kid: jwk.kid })
			.setIssuer(issuer)
			.setAudience(CONSOLE_AUDIENCE)
			.setIssuedAt()
			.setExpirationTime("10m")
			.sign(key);
	return {
		base: inject("consoleBaseUrl"),
		issuer,
		browser,
		token,
		admin: () => token({ roles: ["admin"] }),
		page: async (viewport = { width: 1280, height: 800 }) => {
			const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
			return context.newPage();
		},
		close: () => browser.close(),
	};
}

/**
 * Screenshots for the README: `UPDATE_SCREENSHOTS=1 npm test` writes them to docs/screenshots
 * (committed); otherwise to bench/out/screenshots, so a test run leaves the tree as it was.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
	const dir = nodeProcess.env.UPDATE_SCREENSHOTS
		? `${ROOT}docs/screenshots`
		: `${ROOT}bench/out/screenshots`;
	fs.mkdirSync(dir, { recursive: true });
	await page.waitForLoadState("networkidle");
	await page.screenshot({ path: `${dir}/${name}.png`, animations: "disabled", caret: "hide" });
}
