/**
 * Drives the crash pipeline from tests: devices upload dumps and CI uploads firmware through the
 * Worker's own routes, queue messages are captured (CapturedQueue) and handed to the Worker's
 * queue handler with the decoder the test chooses, exactly as the platform would deliver them.
 */
import {
	createExecutionContext,
	createMessageBatch,
	getQueueResult,
	type QueueResult,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { handleCoredumpQueue } from "../../src/coredump-queue";
import type { Env } from "../../src/env";
import type { CrashDecoder } from "../../src/services/crash-decoder";
import { CapturedQueue } from "./captured-queue";
import { fetchWithEnv } from "./fleet";
import { adminToken } from "./tokens";

export const QUEUE_NAME = "ota-edge-coredumps";
export const DEAD_LETTER_QUEUE = "ota-edge-coredumps-dlq";

export class CrashPipeline {
	readonly queue = new CapturedQueue();
	/** Bindings and vars every request and consumer run of this pipeline sees. */
	overrides: Partial<Env>;

	constructor(overrides: Partial<Env> = {}) {
		this.overrides = { COREDUMP_LIMITER: undefined, ...overrides };
	}

	get env(): Env {
		return { ...env, COREDUMP_QUEUE: this.queue.asQueue(), ...this.overrides };
	}

	/** A device's upload; answers the dump's id. */
	async uploadDump(
		device: { token: string },
		bytes: Uint8Array,
		firmwareVersion: string,
		chip = "esp32c3",
	): Promise<string> {
		const res = await fetchWithEnv(
			{ COREDUMP_QUEUE: this.queue.asQueue(), ...this.overrides },
			`/api/iot/coredump?chip=${chip}&firmware_version=${encodeURIComponent(firmwareVersion)}`,
			{
				method: "POST",
				body: bytes,
				headers: { "content-length": String(bytes.byteLength) },
				token: device.token,
			},
		);
		expect(res.status, await res.clone().text()).toBe(201);
		return (await res.json<{ id: string }>()).id;
	}

	/** CI's upload of a bundle or bare image; answers the upload result. */
	async uploadFirmware(model: string, body: Uint8Array): Promise<Record<string, unknown>> {
		const res = await fetchWithEnv(
			{ COREDUMP_QUEUE: this.queue.asQueue(), ...this.overrides },
			`/api/pipeline/models/${model}/firmware`,
			{ method: "POST", body, token: await adminToken() },
		);
		expect(res.status, await res.clone().text()).toBe(200);
		return res.json<Record<string, unknown>>();
	}

	/** An admin request through the Worker with this pipeline's bindings. */
	async admin(path: string, method = "GET"): Promise<Response> {
		return fetchWithEnv({ COREDUMP_QUEUE: this.queue.asQueue(), ...this.overrides }, path, {
			method,
			token: await adminToken(),
		});
	}

	/** Delivers every captured message (or `ids`) to the queue handler; its ack/retry result. */
	async deliver(
		decoder: CrashDecoder,
		options: { ids?: string[]; queue?: string; bindings?: Partial<Env>; attempts?: number } = {},
	): Promise<QueueResult & { ids: string[] }> {
		const ids = options.ids ?? this.queue.take();
		const batch = createMessageBatch(
			options.queue ?? QUEUE_NAME,
			ids.map((id, i) => ({
				id: `m-${i}-${id}`,
				timestamp: new Date(),
				attempts: options.attempts ?? 1,
				body: { coredump_id: id },
			})),
		);
		const ctx = createExecutionContext();
		await handleCoredumpQueue(batch, { ...this.env, ...options.bindings }, decoder);
		return { ...(await getQueueResult(batch, ctx)), ids };
	}
}

/** The dump as the admin API answers it. */
export async function coredumpJson(
	pipeline: CrashPipeline,
	deviceKey: string,
	id: string,
): Promise<Record<string, unknown> & { analysis: Record<string, unknown> }> {
	const res = await pipeline.admin(`/api/devices/${deviceKey}/coredumps/${id}`);
	expect(res.status).toBe(200);
	return res.json();
}

/** A model's crash groups as the admin API answers them. */
export async function crashGroups(
	pipeline: CrashPipeline,
	model: string,
	query = "",
): Promise<Record<string, unknown>[]> {
	const res = await pipeline.admin(`/api/device-models/${model}/crashes${query}`);
	expect(res.status, await res.clone().text()).toBe(200);
	const body = await res.json<{ crashes: Record<string, unknown>[]; count: number }>();
	expect(body.count).toBe(body.crashes.length);
	return body.crashes;
}
