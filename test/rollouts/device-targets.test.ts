import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Env } from "../../src/env";
import { FIRMWARE_TOPIC } from "../../src/services/firmware-notifications";
import { buildAppImage } from "../fixtures/app-image";
import { api, errorOf } from "../helpers/api";
import { createDevice, createModel, uploadFirmware } from "../helpers/fleet";
import { MqttSubscriber } from "../helpers/mqtt-subscriber";
import { fetchAndNotify } from "../helpers/notify-queue";
import { adminToken } from "../helpers/tokens";
import { membersOf } from "./setup";

/*
 * SPEC §13 on the device path: every device endpoint serves the device its own target (pinned >
 * rollout > current), and MQTT tells exactly the devices whose target changed.
 */

const run = crypto.randomUUID().slice(0, 6);
const CODE = `dt_${run}`;
const devices: { key: string; token: string }[] = [];
const sha: Record<string, string> = {};
let live: MqttSubscriber;
const broker = (): Partial<Env> => ({ MQTT_URL: `mqtt://127.0.0.1:${inject("mqttPort")}` });

async function admin(path: string, method: string, json?: unknown) {
	return fetchAndNotify(broker(), path, {
		method,
		token: await adminToken(),
		...(json !== undefined
			? { body: JSON.stringify(json), headers: { "content-type": "application/json" } }
			: {}),
	});
}

const versionOf = async (d: { token: string }) =>
	(
		await (
			await api("/api/iot/firmware-version", { token: d.token })
		).json<{ firmware_version: string }>()
	).firmware_version;

/** What the subscriber got for this model since `from`, as key → version. */
function told(from: number): Map<string, string> {
	const out = new Map<string, string>();
	for (const m of live.messages.slice(from)) {
		if (m.topic !== FIRMWARE_TOPIC) continue;
		const p = JSON.parse(m.payload) as { client_id: string; firmware_version: string };
		if (p.client_id.startsWith(`iotdevice-${CODE}-`))
			out.set(p.client_id.slice(-8), p.firmware_version);
	}
	return out;
}

/** Waits until `count` devices of the model were told something since `from`. */
async function toldAtLeast(from: number, count: number) {
	await live.waitFor(() => told(from).size >= count);
}

beforeAll(async () => {
	live = await MqttSubscriber.open(inject("mqttPort"), [FIRMWARE_TOPIC, "iotsupport/rollouts/#"]);
	await createModel(CODE);
	for (let i = 0; i < 16; i++) devices.push(await createDevice(CODE));
	const v1 = await buildAppImage({ version: "1.0.0", seed: 31 });
	sha["1.0.0"] = (await (await uploadFirmware(CODE, v1)).json<{ sha256: string }>()).sha256;
	const staged = await api(`/api/pipeline/models/${CODE}/firmware?activate=false`, {
		token: await adminToken(),
		body: await buildAppImage({ version: "2.0.0", seed: 32 }),
		headers: { "content-type": "application/octet-stream" },
	});
	expect(staged.status).toBe(200);
	sha["2.0.0"] = (await staged.json<{ sha256: string }>()).sha256;
});
afterAll(async () => {
	await live.close();
});

describe("a staged version", () => {
	it("is stored but not current: every device still gets 1.0.0", async () => {
		const versions = await (
			await api(`/api/device-models/${CODE}/firmware/versions`, { token: await adminToken() })
		).json<{ versions: { version: string; current: boolean }[] }>();
		expect(versions.versions.map((v) => [v.version, v.current])).toEqual([
			["2.0.0", false],
			["1.0.0", true],
		]);
		for (const d of devices.slice(0, 3)) expect(await versionOf(d)).toBe("1.0.0");
	});
});

describe("a rollout on the device path", () => {
	let id = "";
	let members: string[] = [];
	const keys = () => devices.map((d) => d.key);

	it("serves the target to exactly its members, and tells exactly them", async () => {
		const from = live.messages.length;
		const res = await admin(`/api/device-models/${CODE}/rollouts`, "POST", {
			version: "2.0.0",
			percent: 50,
		});
		expect(res.status).toBe(201);
		id = (await res.json<{ id: string }>()).id;
		members = membersOf(id, keys(), 50);
		expect(members.length).toBeGreaterThan(0);
		expect(members.length).toBeLessThan(devices.length);
		for (const d of devices) {
			const member = members.includes(d.key);
			expect(await versionOf(d)).toBe(member ? "2.0.0" : "1.0.0");
			// HEAD and 304 per device: the baseline's ETag still matches for non-members only.
			const head = await api("/api/iot/firmware", {
				method: "HEAD",
				token: d.token,
				headers: { "if-none-match": `"${sha["1.0.0"]}"` },
			});
			expect(head.status).toBe(member ? 200 : 304);
			const byHash = await api(`/api/iot/firmware/${sha["2.0.0"]}`, {
				method: "HEAD",
				token: d.token,
			});
			expect(byHash.status).toBe(member ? 200 : 404);
		}
		await toldAtLeast(from, members.length);
		expect([...told(from).entries()].sort()).toEqual(members.map((k) => [k, "2.0.0"]).sort());
	});

	it("raising the percentage tells only the devices it adds", async () => {
		const from = live.messages.length;
		const res = await admin(`/api/device-models/${CODE}/rollouts/current`, "PATCH", {
			percent: 100,
		});
		expect(res.status).toBe(200);
		const added = keys().filter((k) => !members.includes(k));
		await toldAtLeast(from, added.length);
		expect([...told(from).keys()].sort()).toEqual(added.sort());
		for (const d of devices.slice(0, 4)) expect(await versionOf(d)).toBe("2.0.0");
	});

	it("a pinned device gets its pin whatever the rollout, and is told", async () => {
		const d = devices[0] as { key: string; token: string };
		const from = live.messages.length;
		const pin = await admin(`/api/devices/${d.key}`, "PATCH", { pinned_version: "1.0.0" });
		expect(await pin.json()).toMatchObject({ pinned_version: "1.0.0", target_version: "1.0.0" });
		expect(await versionOf(d)).toBe("1.0.0");
		await toldAtLeast(from, 1);
		expect([...told(from).entries()]).toEqual([[d.key, "1.0.0"]]);
		const missing = await admin(`/api/devices/${d.key}`, "PATCH", { pinned_version: "9.9.9" });
		expect(missing.status).toBe(404);
		expect((await errorOf(missing)).code).toBe("VERSION_NOT_FOUND");
	});

	it("while open: plain uploads and activations get 409, its versions and pinned ones cannot be deleted", async () => {
		const upload = await uploadFirmware(CODE, await buildAppImage({ version: "3.0.0", seed: 33 }));
		expect(upload.status).toBe(409);
		expect((await errorOf(upload)).code).toBe("ROLLOUT_IN_PROGRESS");
		const activate = await api(`/api/device-models/${CODE}/firmware/versions/2.0.0/activate`, {
			method: "POST",
			token: await adminToken(),
		});
		expect((await errorOf(activate)).code).toBe("ROLLOUT_IN_PROGRESS");
		const del = await api(`/api/device-models/${CODE}/firmware/versions/2.0.0`, {
			method: "DELETE",
			token: await adminToken(),
		});
		expect(del.status).toBe(409);
		expect((await errorOf(del)).code).toBe("VERSION_IN_ROLLOUT");
		// Staging another version is fine, and a pinned one cannot be deleted.
		const staged = await api(`/api/pipeline/models/${CODE}/firmware?activate=false`, {
			token: await adminToken(),
			body: await buildAppImage({ version: "0.9.0", seed: 34 }),
			headers: { "content-type": "application/octet-stream" },
		});
		expect(staged.status).toBe(200);
		const d = devices[1] as { key: string };
		await admin(`/api/devices/${d.key}`, "PATCH", { pinned_version: "0.9.0" });
		const pinned = await api(`/api/device-models/${CODE}/firmware/versions/0.9.0`, {
			method: "DELETE",
			token: await adminToken(),
		});
		expect((await errorOf(pinned)).code).toBe("VERSION_PINNED");
		await admin(`/api/devices/${d.key}`, "PATCH", { pinned_version: null });
	});

	it("abort returns every unpinned device to the baseline, and tells them", async () => {
		const from = live.messages.length;
		const res = await admin(`/api/device-models/${CODE}/rollouts/current/abort`, "POST");
		expect(res.status).toBe(200);
		const unpinned = keys().filter((k) => k !== devices[0]?.key);
		await toldAtLeast(from, unpinned.length);
		expect([...told(from).entries()].sort()).toEqual(unpinned.map((k) => [k, "1.0.0"]).sort());
		for (const d of devices.slice(0, 4)) expect(await versionOf(d)).toBe("1.0.0");
	});
});

describe("device reports", () => {
	it("records a status, refuses bad ones unchanged, and the fleet counts them", async () => {
		const d = devices[5] as { key: string; token: string };
		const post = (json: unknown) => api("/api/iot/status", { token: d.token, json });
		expect((await post({ firmware_version: "2.0.0", state: "installing" })).status).toBe(204);
		for (const bad of [
			{ firmware_version: "2.0.0", state: "exploded" },
			{ firmware_version: "-bad", state: "running" },
			{ firmware_version: "2.0.0", state: "failed", error: "x".repeat(501) },
			{ firmware_version: "2.0.0" },
		]) {
			const res = await post(bad);
			expect(res.status, JSON.stringify(bad)).toBe(400);
			expect((await errorOf(res)).code).toBe("VALIDATION_FAILED");
		}
		const big = await api("/api/iot/status", {
			token: d.token,
			body: JSON.stringify({
				firmware_version: "2.0.0",
				state: "running",
				error: "x".repeat(70_000),
			}),
			headers: { "content-type": "application/json" },
		});
		expect(big.status).toBe(413);
		const device = await (await api(`/api/devices/${d.key}`, { token: await adminToken() })).json();
		expect(device).toMatchObject({ reported_version: "2.0.0", reported_state: "installing" });
		expect((device as { last_seen_at: string | null }).last_seen_at).not.toBeNull();

		// A device that only polls reports the version it runs; a bad header is a 400.
		const bad = await api("/api/iot/firmware-version", {
			token: d.token,
			headers: { "x-firmware-version": "../etc" },
		});
		expect(bad.status).toBe(400);
		const ok = await api("/api/iot/firmware-version", {
			token: d.token,
			headers: { "x-firmware-version": "1.0.0" },
		});
		expect(ok.status).toBe(200);
		const row = await env.DB.prepare(
			"SELECT reported_version, reported_state FROM devices WHERE key = ?1",
		)
			.bind(d.key)
			.first();
		expect(row).toEqual({ reported_version: "1.0.0", reported_state: "running" });

		const fleet = await (
			await api(`/api/device-models/${CODE}/fleet`, { token: await adminToken() })
		).json<{
			devices: number;
			reported: { version: string | null; state: string | null; devices: number }[];
			targets: { version: string; source: string; devices: number }[];
		}>();
		expect(fleet.devices).toBe(devices.length);
		expect(fleet.reported).toContainEqual({ version: "1.0.0", state: "running", devices: 1 });
		expect(fleet.targets).toContainEqual({ version: "1.0.0", source: "pinned", devices: 1 });
	});
});
