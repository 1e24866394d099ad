/* What an operator does in the console, and the API calls that set the scene for it. */

import type { Page } from "playwright-core";
import { expect } from "vitest";
import { buildFirmware } from "../../fixtures/firmware";
import type { ConsoleWorld } from "./world";

/** Problems the page reported: CSP violations, script errors. A test ends with none. */
export function watchProblems(page: Page): string[] {
	const problems: string[] = [];
	page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
	page.on("console", (message) => {
		if (/Content Security Policy|Trusted Type/i.test(message.text())) {
			problems.push(`CSP: ${message.text()}`);
		}
	});
	return problems;
}

/** Signs in from wherever `path` is, through the provider's page, and waits to be back. */
export async function signIn(page: Page, base: string, path = "/"): Promise<void> {
	await page.goto(`${base}${path}`);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.getByRole("button", { name: "Continue as local admin" }).click();
	await page.getByRole("button", { name: "Sign out" }).waitFor();
}

export const uniqueCode = (prefix: string) =>
	`${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

export async function apiJson<T>(
	world: ConsoleWorld,
	method: string,
	path: string,
	body?: unknown,
): Promise<T> {
	const res = await fetch(`${world.base}${path}`, {
		method,
		headers: {
			authorization: `Bearer ${await world.admin()}`,
			...(body === undefined ? {} : { "content-type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
	return (text ? JSON.parse(text) : undefined) as T;
}

export async function createModel(
	world: ConsoleWorld,
	code: string,
	chip = "esp32",
	name = `Model ${code}`,
) {
	await apiJson(world, "POST", "/api/device-models", { code, name, chip });
}

/** Uploads a bundle as CI does; `activate: false` stages it for a rollout (SPEC §13). */
export async function uploadVersion(
	world: ConsoleWorld,
	code: string,
	version: string,
	options: { activate?: boolean; seed?: number; chip?: string } = {},
) {
	const firmware = await buildFirmware(code, {
		version,
		chip: options.chip ?? "esp32",
		seed: options.seed ?? version.length + version.charCodeAt(version.length - 1),
	});
	const query = options.activate === false ? "?activate=false" : "";
	const res = await fetch(`${world.base}/api/pipeline/models/${code}/firmware${query}`, {
		method: "POST",
		headers: { authorization: `Bearer ${await world.token({ roles: ["pipeline"] })}` },
		body: firmware.zip,
	});
	expect(res.status, await res.clone().text()).toBe(200);
	return firmware;
}

/** The element's text, once it has appeared. */
export async function textOf(page: Page, selector: string): Promise<string> {
	const locator = page.locator(selector).first();
	await locator.waitFor();
	return (await locator.textContent()) ?? "";
}
