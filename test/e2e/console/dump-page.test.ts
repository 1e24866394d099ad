/**
 * How the console lays out a decoded dump (SPEC §10, §14): whatever decoded it, the page must
 * put the crashed task's backtrace first, each frame with its function, offset and file:line,
 * ROM frames marked. The dump and device are real; the analysis in the API's answer is the one
 * the SPEC asks of the ESP32 sample (analysis-fixture.ts), so the page is held to that shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ESP32_ANALYSIS } from "./analysis-fixture";
import { apiJson, createModel, signIn, uniqueCode, watchProblems } from "./flows";
import { type ConsoleWorld, openConsole, PHONE, screenshot } from "./world";

let world: ConsoleWorld;
beforeAll(async () => {
	world = await openConsole();
});
afterAll(() => world?.close());

describe("a dump's page", () => {
	it("centres on the backtrace: functions, offsets and file:line, ROM frames marked", async () => {
		const code = uniqueCode("dumppage");
		await createModel(world, code, "esp32");
		const { key } = await apiJson<{ key: string }>(world, "POST", "/api/devices", {
			model_code: code,
		});
		const bytes = new Uint8Array(512).map((_, i) => (i * 7) & 0xff);
		const upload = await fetch(`${world.base}/api/iot/coredump?chip=esp32&firmware_version=1.0.0`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${await world.token({ azp: `iotdevice-${code}-${key}` })}`,
			},
			body: bytes,
		});
		expect(upload.status).toBe(201);
		const { id } = (await upload.json()) as { id: string };

		const page = await world.page();
		const problems = watchProblems(page);
		await page.route(`${world.base}/api/devices/${key}/coredumps/${id}`, async (route) => {
			const response = await route.fetch();
			const json = { ...((await response.json()) as object), analysis: ESP32_ANALYSIS };
			await route.fulfill({ response, json });
		});
		await signIn(page, world.base, `/devices/${key}/coredumps/${id}`);
		await page
			.getByRole("heading", { level: 1, name: ESP32_ANALYSIS.panic_reason ?? "", exact: true })
			.waitFor();
		const frames = page
			.getByRole("list", { name: "Backtrace of the crashed task" })
			.getByRole("listitem");
		expect(await frames.count()).toBe(ESP32_ANALYSIS.backtrace.length);
		const first = (await frames.nth(0).textContent()) ?? "";
		expect(first).toMatch(/panic_abort\+21/);
		expect(first).toContain("panic.c:472");
		expect(first).toContain("0x4008110d");
		expect(await frames.nth(3).textContent()).toMatch(/fail_once\+20.*test_core_dump\.c:14/);
		expect(await frames.nth(4).textContent()).toMatch(/ets_write_char.*rom.*no source line/);
		expect(await page.locator("#backtrace").textContent()).toContain("StoreProhibited");
		expect(await page.getByText("Other tasks (1)").count()).toBe(1);
		const group = page.getByRole("link", { name: ESP32_ANALYSIS.signature ?? "" });
		expect(await group.getAttribute("href")).toBe(
			`/models/${code}/crashes/${ESP32_ANALYSIS.signature}`,
		);

		const download = page.waitForEvent("download");
		await page.getByRole("button", { name: /Download raw dump/ }).click();
		expect((await download).suggestedFilename()).toMatch(/^coredump_.*\.dmp$/);
		await page.getByRole("button", { name: /Download raw dump/ }).focus();
		await page.locator("h1").focus();
		await screenshot(page, "crash-desktop");

		await page.setViewportSize(PHONE);
		const wide = await page.evaluate(() => {
			const g = globalThis as unknown as {
				innerWidth: number;
				document: { documentElement: { scrollWidth: number } };
			};
			return g.document.documentElement.scrollWidth > g.innerWidth;
		});
		expect(wide).toBe(false);
		await screenshot(page, "crash-phone");
		expect(problems).toEqual([]);
		await page.context().close();
	});
});
