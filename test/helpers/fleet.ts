import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/env";
import { api } from "./api";
import { adminToken, deviceToken } from "./tokens";

/** Creates a model through the API and returns its code. */
export async function createModel(code: string, chip?: string): Promise<string> {
	const res = await api("/api/device-models", {
		token: await adminToken(),
		json: { code, name: `Model ${code}`, ...(chip ? { chip } : {}) },
	});
	expect(res.status).toBe(201);
	return code;
}

/** Registers a device of the model and returns its key and a token for it. */
export async function createDevice(model: string): Promise<{ key: string; token: string }> {
	const res = await api("/api/devices", { token: await adminToken(), json: { model_code: model } });
	expect(res.status).toBe(201);
	const { key } = await res.json<{ key: string }>();
	return { key, token: await deviceToken(model, key) };
}

export async function uploadFirmware(model: string, body: Uint8Array, token?: string) {
	return api(`/api/pipeline/models/${model}/firmware`, {
		token: token ?? (await adminToken()),
		body,
		headers: { "content-type": "application/octet-stream" },
	});
}

/** Every key in the bucket under a prefix. */
export async function bucketKeys(prefix: string): Promise<string[]> {
	const keys: string[] = [];
	let cursor: string | undefined;
	do {
		const page = await env.BLOBS.list({ prefix, cursor });
		keys.push(...page.objects.map((o) => o.key));
		cursor = page.truncated ? page.cursor : undefined;
	} while (cursor);
	return keys;
}

/**
 * Calls the app with some bindings or vars replaced (small limits, a broken binding), and
 * waits for its background work before returning.
 */
export async function fetchWithEnv(
	overrides: Partial<Env>,
	path: string,
	init: RequestInit & { token?: string } = {},
): Promise<Response> {
	const headers = new Headers(init.headers);
	if (init.token) headers.set("authorization", `Bearer ${init.token}`);
	const ctx = createExecutionContext();
	const res = await app.fetch(
		new Request(`http://ota.test${path}`, { ...init, headers }),
		{ ...env, ...overrides },
		ctx,
	);
	await waitOnExecutionContext(ctx);
	return res;
}

export async function bytesOf(res: Response): Promise<Uint8Array> {
	return new Uint8Array(await res.arrayBuffer());
}

/** The object keys D1 holds for a version (keys name the upload, so tests read them). */
export async function storedKeys(
	model: string,
	version: string,
): Promise<{ image_key: string; bundle_key: string | null }> {
	const row = await env.DB.prepare(
		"SELECT image_key, bundle_key FROM firmware_versions WHERE model_code = ?1 AND version = ?2",
	)
		.bind(model, version)
		.first<{ image_key: string; bundle_key: string | null }>();
	if (!row) throw new Error(`no version ${version} of ${model}`);
	return row;
}
