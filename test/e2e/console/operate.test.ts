/**
 * Day-to-day work in the console (SPEC §14): models, devices and versions through the JSON
 * API, errors shown as the API gave them, at desktop and phone width, by mouse and keyboard.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../fixtures/app-image";
import { apiJson, createModel, signIn, uniqueCode, uploadVersion, watchProblems } from "./flows";
import { type ConsoleWorld, openConsole, PHONE, screenshot } from "./world";

let world: ConsoleWorld;
beforeAll(async () => {
	world = await openConsole();
});
afterAll(() => world?.close());

describe("models and devices", () => {
	it("creates a model and a device, and deactivates the device", async () => {
		const page = await world.page();
		const problems = watchProblems(page);
		await signIn(page, world.base);
		const code = uniqueCode("console");
		await page.getByLabel("Code").fill(code);
		await page.getByLabel("Name").fill("Thermostat v2");
		await page.getByLabel("Chip").selectOption("esp32c3");
		await page.getByRole("button", { name: "Create model" }).click();
		await page.getByRole("heading", { name: "Thermostat v2" }).waitFor();
		expect(new URL(page.url()).pathname).toBe(`/models/${code}`);
		expect((await apiJson<{ chip: string }>(world, "GET", `/api/device-models/${code}`)).chip).toBe(
			"esp32c3",
		);

		await page.goto(`${world.base}/devices?model=${code}`);
		await page.getByRole("heading", { name: `Devices of ${code}` }).waitFor();
		await page.getByLabel("Name").fill("Lab bench");
		await page.getByRole("button", { name: "Register device" }).click();
		const heading = page.getByRole("heading", { name: /^Lab bench \([a-z2-7]{8}\)$/ });
		await heading.waitFor();
		const key = /\(([a-z2-7]{8})\)/.exec((await heading.textContent()) ?? "")?.[1] ?? "";
		const { devices } = await apiJson<{ devices: { key: string; active: boolean }[] }>(
			world,
			"GET",
			`/api/devices?model=${code}`,
		);
		expect(devices.map((d) => d.key)).toEqual([key]);

		await page.getByRole("button", { name: "Deactivate" }).click();
		await page.getByRole("button", { name: "Activate" }).waitFor();
		expect((await apiJson<{ active: boolean }>(world, "GET", `/api/devices/${key}`)).active).toBe(
			false,
		);
		expect(problems).toEqual([]);
		await page.context().close();
	});

	it("shows the API's own message and code when it refuses", async () => {
		const code = uniqueCode("taken");
		await createModel(world, code);
		const page = await world.page();
		await signIn(page, world.base);
		await page.getByLabel("Code").fill(code);
		await page.getByLabel("Name").fill("Again");
		await page.getByRole("button", { name: "Create model" }).click();
		const alert = page.getByRole("alert").filter({ hasText: "MODEL_EXISTS" });
		await alert.waitFor();
		const refusal = await fetch(`${world.base}/api/device-models`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${await world.admin()}`,
				"content-type": "application/json",
			},
			body: JSON.stringify({ code, name: "Again" }),
		});
		const { error } = (await refusal.json()) as { error: string };
		expect(await alert.textContent()).toContain(error);
		expect(await alert.textContent()).toContain("MODEL_EXISTS");
		expect(await alert.textContent()).toContain("HTTP 409");
		await page.context().close();
	});
});

describe("versions", () => {
	it("shows an uploaded version as current and downloads its image", async () => {
		const code = uniqueCode("thermo");
		await createModel(world, code, "esp32", "Thermostat v3");
		const firmware = await uploadVersion(world, code, "2.4.1");
		const page = await world.page();
		const problems = watchProblems(page);
		await signIn(page, world.base, `/models/${code}`);
		// The version's row in the versions table (the fleet table names versions too).
		const row = page.getByRole("row").filter({
			has: page.getByRole("button", { name: "Download the app image of 2.4.1" }),
		});
		await row.waitFor();
		expect(await row.textContent()).toContain("current");
		expect(await row.textContent()).toContain("bundle");
		await screenshot(page, "model-desktop");

		const download = page.waitForEvent("download");
		await row.getByRole("button", { name: "Download the app image of 2.4.1" }).click();
		const file = await download;
		expect(file.suggestedFilename()).toBe(`firmware-${code}.bin`);
		const bytes = await readDownload(file);
		expect(await sha256Hex(bytes)).toBe(firmware.sha256);
		expect(problems).toEqual([]);
		await page.context().close();
	});
});

describe("at phone width, by keyboard", () => {
	it("fits a phone's width and registers a device with the keyboard alone", async () => {
		const code = uniqueCode("greenhouse");
		await createModel(world, code, "esp32c6", "Greenhouse sensor");
		await uploadVersion(world, code, "1.0.0", { chip: "esp32c6" });
		const page = await world.page(PHONE);
		await signIn(page, world.base);
		await page.getByRole("link", { name: "Greenhouse sensor" }).first().waitFor();
		expect(await fitsWidth(page)).toBe(true);
		await screenshot(page, "models-phone");

		await page.goto(`${world.base}/devices?model=${code}`);
		await page.getByRole("heading", { name: `Devices of ${code}` }).waitFor();
		await page.keyboard.press("Tab");
		expect(await focusedText(page)).toBe("Skip to content");
		// Tab on to the name field, type, and submit with Enter.
		let found = false;
		for (let i = 0; i < 30 && !found; i++) {
			await page.keyboard.press("Tab");
			found =
				(await page.evaluate(() => {
					const el = (globalThis as unknown as { document: { activeElement: { name?: string } } })
						.document.activeElement;
					return el?.name;
				})) === "name";
		}
		expect(found).toBe(true);
		await page.keyboard.type("Pocket unit");
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { name: /^Pocket unit \(/ }).waitFor();
		expect(await fitsWidth(page)).toBe(true);

		// A confirmation opens with the focus on Cancel; Escape closes it and nothing happens.
		await page.getByRole("button", { name: "Delete device" }).focus();
		await page.keyboard.press("Enter");
		expect(await focusedText(page)).toBe("Cancel");
		await page.keyboard.press("Escape");
		await page.getByRole("heading", { name: /^Pocket unit \(/ }).waitFor();
		await page.context().close();
	});
});

async function fitsWidth(page: import("playwright-core").Page): Promise<boolean> {
	return page.evaluate(() => {
		const doc = (
			globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }
		).document;
		return (
			doc.documentElement.scrollWidth <=
			(globalThis as unknown as { innerWidth: number }).innerWidth
		);
	});
}

async function focusedText(page: import("playwright-core").Page): Promise<string> {
	return page.evaluate(() => {
		const el = (globalThis as unknown as { document: { activeElement: { textContent: string } } })
			.document.activeElement;
		return (el?.textContent ?? "").trim();
	});
}

async function readDownload(file: import("playwright-core").Download): Promise<Uint8Array> {
	const stream = await file.createReadStream();
	const chunks: Uint8Array[] = [];
	for await (const chunk of stream as AsyncIterable<Uint8Array>) chunks.push(chunk);
	return new Uint8Array(await new Blob(chunks).arrayBuffer());
}
