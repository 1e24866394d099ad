/**
 * A crash read in the console (SPEC §10, §11, §14): a device uploads a real ESP32 core dump,
 * the Worker decodes it against the firmware's ELF, and the operator opens it from the device,
 * and from the model's crash groups, to find `fail_once` in the backtrace with its file:line.
 */
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppImage, sha256Hex } from "../../fixtures/app-image";
import { esp32Dump, esp32Elf } from "./crash-fixture";
import { apiJson, createModel, signIn, uniqueCode, watchProblems } from "./flows";
import { type ConsoleWorld, openConsole, PHONE, screenshot } from "./world";

let world: ConsoleWorld;
beforeAll(async () => {
	world = await openConsole();
});
afterAll(() => world?.close());

const VERSION = "1.0.0-crash";
const text = (s: string) => new TextEncoder().encode(s);

/** Uploads firmware with the crash's ELF, registers a device, and has it upload the dump. */
async function crashOnDevice(code: string): Promise<{ key: string; id: string }> {
	await createModel(world, code, "esp32");
	const elf = esp32Elf();
	const image = await buildAppImage({
		chip: "esp32",
		version: VERSION,
		elfSha256: await sha256Hex(elf),
	});
	const bundle = zipSync({
		[`${code}.bin`]: image,
		[`${code}.elf`]: elf,
		[`${code}.map`]: text("Memory map\n"),
		sdkconfig: text('CONFIG_IDF_TARGET="esp32"\n'),
		"version.json": text(
			JSON.stringify({ git_commit: "30082bf", idf_version: "v5.3-dev", firmware_version: VERSION }),
		),
	});
	const upload = await fetch(`${world.base}/api/pipeline/models/${code}/firmware`, {
		method: "POST",
		headers: { authorization: `Bearer ${await world.token({ roles: ["pipeline"] })}` },
		body: bundle,
	});
	expect(upload.status, await upload.clone().text()).toBe(200);
	const { key } = await apiJson<{ key: string }>(world, "POST", "/api/devices", {
		model_code: code,
		name: "Crashy",
	});
	const device = await world.token({ azp: `iotdevice-${code}-${key}` });
	const res = await fetch(`${world.base}/api/iot/coredump?chip=esp32&firmware_version=${VERSION}`, {
		method: "POST",
		headers: { authorization: `Bearer ${device}` },
		body: esp32Dump(),
	});
	expect(res.status, await res.clone().text()).toBe(201);
	const { id } = (await res.json()) as { id: string };
	return { key, id };
}

/** Waits (up to a minute) for the queue consumer to decode the dump (SPEC §10). */
async function decoded(key: string, id: string): Promise<void> {
	let last: unknown;
	for (let i = 0; i < 120; i++) {
		const dump = await apiJson<{ analysis?: { status: string } | null }>(
			world,
			"GET",
			`/api/devices/${key}/coredumps/${id}`,
		);
		last = dump;
		if (!("analysis" in dump)) break;
		if (dump.analysis?.status === "decoded") return;
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(`the dump was not decoded: ${JSON.stringify(last)}`);
}

describe("a decoded crash", () => {
	it("opens from the device with fail_once and its file:line in the backtrace", async () => {
		const code = uniqueCode("crash");
		const { key, id } = await crashOnDevice(code);
		await decoded(key, id);

		const page = await world.page();
		const problems = watchProblems(page);
		await signIn(page, world.base, `/devices/${key}`);
		await page.locator("#coredumps").getByRole("link").first().click();
		const backtrace = page.getByRole("list", { name: "Backtrace of the crashed task" });
		await backtrace.waitFor();
		expect(new URL(page.url()).pathname).toBe(`/devices/${key}/coredumps/${id}`);
		const frame = backtrace.getByRole("listitem").filter({ hasText: "fail_once" });
		expect(await frame.count()).toBe(1);
		expect(await frame.textContent()).toContain("test_core_dump.c:14");
		expect(await page.getByRole("heading", { level: 1 }).textContent()).toContain("abort()");
		await screenshot(page, "crash-desktop");
		expect(problems).toEqual([]);
		await page.context().close();
	});

	it("is one crash group of its model, whose frames name fail_once", async () => {
		const code = uniqueCode("group");
		const { key, id } = await crashOnDevice(code);
		await decoded(key, id);
		const page = await world.page(PHONE);
		await signIn(page, world.base, `/models/${code}`);
		const group = page.locator("#crashes").getByRole("link").first();
		await group.waitFor();
		expect(await group.textContent()).toContain("fail_once");
		await group.click();
		await page.getByRole("heading", { level: 1 }).filter({ hasText: "fail_once" }).waitFor();
		expect(await page.locator("#frames").textContent()).toContain("fail_once");
		await page.getByRole("link", { name: "Open the latest dump" }).click();
		await page.getByRole("list", { name: "Backtrace of the crashed task" }).waitFor();
		await screenshot(page, "crash-phone");
		await page.context().close();
	});
});
