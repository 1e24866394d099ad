/**
 * Crash analysis under `wrangler dev` (SPEC §10: "local under wrangler dev"): the queue runs from
 * wrangler.toml with nothing else installed, so a dump a device uploads is analysed by the same
 * Worker, and its crash group appears.
 */
import { describe, expect, inject, it } from "vitest";
import { adminToken, signToken } from "./harness";
import { fs } from "./node-builtins";

const base = inject("e2eBaseUrl");
const MODEL = `e2e_crash_${Date.now().toString(36)}`;
const ROOT = new URL(
	"../../../shared/coredumps/",
	(import.meta as ImportMeta & { url: string }).url,
).pathname;

async function call(path: string, init: RequestInit & { token: string }) {
	const headers = new Headers(init.headers);
	headers.set("authorization", `Bearer ${init.token}`);
	return fetch(`${base}${path}`, { ...init, headers });
}

describe("crash analysis under wrangler dev", () => {
	it("analyses an uploaded dump from the local queue and groups it", async () => {
		const admin = await adminToken();
		const json = (body: unknown) => ({
			method: "POST",
			token: admin,
			body: JSON.stringify(body),
			headers: { "content-type": "application/json" },
		});
		expect(
			(await call("/api/device-models", json({ code: MODEL, name: "e2e", chip: "esp32c3" })))
				.status,
		).toBe(201);
		const created = await call("/api/devices", json({ model_code: MODEL }));
		const { key } = (await created.json()) as { key: string };
		const device = await signToken({ azp: `iotdevice-${MODEL}-${key}` });
		const uart = fs.readFileSync(`${ROOT}esp32c3/coredump.b64`);
		const up = await call("/api/iot/coredump?chip=esp32c3&firmware_version=1.0.0", {
			method: "POST",
			token: device,
			body: uart,
		});
		expect(up.status).toBe(201);
		const { id } = (await up.json()) as { id: string };
		let dump: { status: string; crashed_task: { name: string } | null } | undefined;
		for (let i = 0; i < 120 && dump?.status !== "unsymbolized" && dump?.status !== "decoded"; i++) {
			await new Promise((r) => setTimeout(r, 250));
			dump = (await (
				await call(`/api/devices/${key}/coredumps/${id}`, { token: admin })
			).json()) as typeof dump;
		}
		expect(dump?.status).toMatch(/^(unsymbolized|decoded)$/);
		expect(dump?.crashed_task?.name).toBe("main");
		const crashes = (await (
			await call(`/api/device-models/${MODEL}/crashes`, { token: admin })
		).json()) as {
			count: number;
		};
		expect(crashes.count).toBe(1);
	});
});
