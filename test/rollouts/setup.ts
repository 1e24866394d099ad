import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { isMember, membershipHash } from "../../src/lib/rollout-membership";
import { buildAppImage } from "../fixtures/app-image";
import { api } from "../helpers/api";
import { createDevice, createModel, uploadFirmware } from "../helpers/fleet";
import { adminToken } from "../helpers/tokens";

/** Builds and uploads a bare image of `version`; returns its SHA-256. */
export async function upload(model: string, version: string, seed: number): Promise<string> {
	const res = await uploadFirmware(model, await buildAppImage({ version, seed }));
	expect(res.status).toBe(200);
	return (await res.json<{ sha256: string }>()).sha256;
}

/**
 * A model with `devices` devices registered through the API, `1.0.0` current and `2.0.0`
 * stored (uploaded, then `1.0.0` activated again).
 */
export async function modelWithTwoVersions(code: string, devices: number, seed = 1) {
	await createModel(code);
	const fleet: { key: string; token: string }[] = [];
	for (let i = 0; i < devices; i++) fleet.push(await createDevice(code));
	const v1 = await upload(code, "1.0.0", seed);
	const v2 = await upload(code, "2.0.0", seed + 1);
	const back = await api(`/api/device-models/${code}/firmware/versions/1.0.0/activate`, {
		method: "POST",
		token: await adminToken(),
	});
	expect(back.status).toBe(200);
	return { code, devices: fleet, sha: { "1.0.0": v1, "2.0.0": v2 } };
}

/** Devices registered straight into D1, for fleets too large to register one request at a time. */
export async function insertDevices(model: string, keys: readonly string[]): Promise<void> {
	const now = new Date().toISOString();
	for (let i = 0; i < keys.length; i += 500) {
		await env.DB.prepare(
			`INSERT INTO devices (key, model_code, active, created_at, updated_at)
       SELECT value, ?1, 1, ?2, ?2 FROM json_each(?3)`,
		)
			.bind(model, now, JSON.stringify(keys.slice(i, i + 500)))
			.run();
	}
}

export async function rolloutApi(
	code: string,
	path: string,
	init: { method?: string; json?: unknown } = {},
): Promise<Response> {
	return api(`/api/device-models/${code}/rollouts${path}`, {
		token: await adminToken(),
		method: init.method ?? (init.json === undefined ? "GET" : "POST"),
		...(init.json !== undefined ? { json: init.json } : {}),
	});
}

/** The keys a rollout reaches at a percentage, computed independently of the server. */
export function membersOf(rolloutId: string, keys: readonly string[], percent: number): string[] {
	const hash = membershipHash(rolloutId);
	return keys.filter((k) => isMember(hash, k, percent));
}

/** A real ESP-IDF core dump (../shared/coredumps), decoded from the UART's lines of base64. */
export function realDump(b64: string): Uint8Array {
	const bytes = b64
		.split(/\r?\n/)
		.filter((line) => line.trim() !== "")
		.flatMap((line) => Array.from(atob(line.trim()), (c) => c.charCodeAt(0)));
	return Uint8Array.from(bytes);
}
