import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { api, errorOf } from "../helpers/api";
import { bucketKeys, createDevice, createModel, fetchWithEnv } from "../helpers/fleet";

const PATH = "/api/iot/coredump?chip=esp32c3&firmware_version=2.0.0";
const MODEL = "limits";
const MAX = 1_048_576;
const dump = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 13 + 5) & 255);

/** A body of `size` bytes in 1000-byte chunks, without a length; records whether it was read. */
function streamed(size: number) {
	const bytes = dump(size);
	let offset = 0;
	const state = { pulled: false };
	const stream = new ReadableStream<Uint8Array>(
		{
			pull(controller) {
				state.pulled = true;
				if (offset >= size) return controller.close();
				controller.enqueue(bytes.slice(offset, offset + 1000));
				offset += 1000;
			},
		},
		{ highWaterMark: 0 },
	);
	return { stream, state, bytes };
}

/** Uploads through the app with some vars or bindings replaced; no limiter unless given. */
function uploadWith(
	token: string,
	body: BodyInit | null,
	overrides: Partial<Env> = {},
	headers: Record<string, string> = {},
) {
	return fetchWithEnv({ COREDUMP_LIMITER: undefined, ...overrides }, PATH, {
		method: "POST",
		token,
		body,
		headers,
	});
}

async function expectError(res: Response, status: number, code: string) {
	expect(res.status).toBe(status);
	expect((await errorOf(res)).code).toBe(code);
}

let device: { key: string; token: string };
const prefix = () => `coredumps/${MODEL}/${device.key}/`;

async function storedBytes(res: Response): Promise<Uint8Array> {
	const { filename } = await res.json<{ filename: string }>();
	const object = await env.BLOBS.get(`${prefix()}${filename}`);
	if (!object) throw new Error(`${filename} was not stored`);
	return new Uint8Array(await object.arrayBuffer());
}

beforeAll(async () => {
	await createModel(MODEL);
	device = await createDevice(MODEL);
});

describe("COREDUMP_MAX_BYTES (default 1 MiB)", () => {
	it("stores exactly the limit with a Content-Length, byte for byte", async () => {
		const bytes = dump(MAX);
		const res = await uploadWith(device.token, bytes);
		expect(res.status).toBe(201);
		expect(await storedBytes(res)).toEqual(bytes);
	});

	it("answers 413 to one byte over with a Content-Length and stores nothing", async () => {
		const before = await bucketKeys(prefix());
		await expectError(await uploadWith(device.token, dump(MAX + 1)), 413, "PAYLOAD_TOO_LARGE");
		expect(await bucketKeys(prefix())).toEqual(before);
	});

	it("stores exactly the limit streamed without a length", async () => {
		const body = streamed(MAX);
		const request = new Request("http://ota.test/", { method: "POST", body: body.stream });
		expect(request.headers.get("content-length")).toBeNull();
		const res = await uploadWith(device.token, request.body);
		expect(res.status).toBe(201);
		expect(await storedBytes(res)).toEqual(body.bytes);
	});

	it("cuts off a stream without a length one byte over the limit and stores nothing", async () => {
		const before = await bucketKeys(prefix());
		const res = await uploadWith(device.token, streamed(MAX + 1).stream);
		await expectError(res, 413, "PAYLOAD_TOO_LARGE");
		expect(await bucketKeys(prefix())).toEqual(before);
	});
});

describe("a small COREDUMP_MAX_BYTES", () => {
	const small = { COREDUMP_MAX_BYTES: "64" };

	it("holds at 64 and 65 bytes, with and without a length", async () => {
		expect((await uploadWith(device.token, dump(64), small)).status).toBe(201);
		await expectError(await uploadWith(device.token, dump(65), small), 413, "PAYLOAD_TOO_LARGE");
		expect((await uploadWith(device.token, streamed(64).stream, small)).status).toBe(201);
		const over = await uploadWith(device.token, streamed(65).stream, small);
		await expectError(over, 413, "PAYLOAD_TOO_LARGE");
	});

	it("refuses a declared length over the limit without reading the body", async () => {
		const body = streamed(1000);
		const res = await uploadWith(device.token, body.stream, small, { "content-length": "1000" });
		await expectError(res, 413, "PAYLOAD_TOO_LARGE");
		expect(body.state.pulled).toBe(false);
	});

	it("answers 400 INVALID_CONTENT_LENGTH to a Content-Length that is not a number", async () => {
		const res = await uploadWith(device.token, dump(3), {}, { "content-length": "3x" });
		await expectError(res, 400, "INVALID_CONTENT_LENGTH");
	});
});

describe("the declared limit reaches the real endpoint", () => {
	it("answers 413 through the app's own fetch handler", async () => {
		const res = await api(PATH, { method: "POST", token: device.token, body: dump(MAX + 1) });
		await expectError(res, 413, "PAYLOAD_TOO_LARGE");
	});
});
