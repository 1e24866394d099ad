/**
 * A rollout driven from the console (SPEC §13, §14): stage a version, start it for a share of
 * the fleet with a crash guard, raise the share, pause, resume and abort, reading each state
 * back from the API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiJson, createModel, signIn, uniqueCode, uploadVersion, watchProblems } from "./flows";
import { type ConsoleWorld, openConsole, PHONE, screenshot } from "./world";

let world: ConsoleWorld;
beforeAll(async () => {
	world = await openConsole();
});
afterAll(() => world?.close());

interface Rollout {
	version: string;
	percent: number;
	state: string;
	guard: { max_crash_rate: number; min_devices: number } | null;
}

const rolloutsOf = async (code: string) =>
	(await apiJson<{ rollouts: Rollout[] }>(world, "GET", `/api/device-models/${code}/rollouts`))
		.rollouts;

describe("rollouts", () => {
	it("starts a staged version for 10 %, raises it, pauses, resumes and aborts it", async () => {
		const code = uniqueCode("rollout");
		await createModel(world, code);
		for (const name of ["a", "b", "c"]) {
			await apiJson(world, "POST", "/api/devices", { model_code: code, name: `unit ${name}` });
		}
		await uploadVersion(world, code, "1.0.0");
		await uploadVersion(world, code, "1.1.0", { activate: false });

		const page = await world.page();
		const problems = watchProblems(page);
		await signIn(page, world.base, `/models/${code}`);
		const rollout = page.locator("#rollout");
		await rollout.getByLabel("Version").selectOption("1.1.0");
		await rollout.getByLabel("Start at (%)").fill("10");
		await rollout.getByLabel("Halt above crash rate (%)").fill("5");
		await rollout.getByLabel("Judge after (devices)").fill("2");
		await rollout.getByRole("button", { name: "Start rollout" }).click();
		await rollout.getByText("10 % of devices").waitFor();
		const [started] = await rolloutsOf(code);
		expect(started).toMatchObject({ version: "1.1.0", percent: 10, state: "active" });
		expect(started?.guard).toMatchObject({ max_crash_rate: 0.05, min_devices: 2 });

		await rollout.getByLabel("Percentage").fill("25");
		await rollout.getByRole("button", { name: "Set percentage" }).click();
		await rollout.getByText("25 % of devices").waitFor();
		await screenshot(page, "rollout-desktop");
		await rollout.getByRole("button", { name: "Pause" }).click();
		await rollout.getByRole("button", { name: "Resume" }).waitFor();
		expect((await rolloutsOf(code))[0]).toMatchObject({ percent: 25, state: "paused" });
		await rollout.getByRole("button", { name: "Resume" }).click();
		await rollout.getByRole("button", { name: "Pause" }).waitFor();

		await rollout.getByRole("button", { name: "Abort", exact: true }).click();
		await page.getByRole("dialog").getByRole("button", { name: "Abort rollout" }).click();
		await rollout.getByRole("button", { name: "Start rollout" }).waitFor();
		expect((await rolloutsOf(code))[0]).toMatchObject({ version: "1.1.0", state: "aborted" });
		await rollout.getByText("Earlier rollouts (1)").click();
		expect(await rollout.locator("details table").textContent()).toContain("aborted");
		expect(problems).toEqual([]);
		await page.context().close();
	});

	it("shows the rollout at phone width", async () => {
		const code = uniqueCode("rollphone");
		await createModel(world, code);
		await uploadVersion(world, code, "3.0.0");
		await uploadVersion(world, code, "3.1.0", { activate: false });
		await apiJson(world, "POST", `/api/device-models/${code}/rollouts`, {
			version: "3.1.0",
			percent: 20,
			guard: { max_crash_rate: 0.02, min_devices: 10 },
		});
		const page = await world.page(PHONE);
		await signIn(page, world.base, `/models/${code}`);
		await page.locator("#rollout").getByText("20 % of devices").waitFor();
		await page.locator("#rollout").scrollIntoViewIfNeeded();
		await screenshot(page, "rollout-phone");
		await page.context().close();
	});
});
