/**
 * Who is at fault when a streamed put fails: a body that is not the length it declared is the
 * client's (400), a storage failure under a good body is ours (rethrown, answered 5xx). Either
 * way nothing is left under the key.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { putStream } from "../../src/storage/stream-put";
import { faultyBucket } from "../helpers/faulty-bindings";
import { bucketKeys } from "../helpers/fleet";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 255);

/** A body delivered in chunks of 1000 bytes, as a request body arrives. */
function body(length: number): ReadableStream<Uint8Array> {
	const all = bytes(length);
	let offset = 0;
	return new ReadableStream({
		pull(controller) {
			if (offset >= all.length) return controller.close();
			controller.enqueue(all.slice(offset, offset + 1000));
			offset += 1000;
		},
	});
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		() => expect.unreachable("the put should fail"),
		(err: unknown) => err,
	);
}

describe("a streamed put with a declared length", () => {
	it.each([
		["shorter", 4000],
		["longer", 6000],
	])("refuses a body %s than declared with 400 BODY_LENGTH_MISMATCH", async (_, actual) => {
		const key = `hardening/short-long-${actual}`;
		const err = await failure(putStream(env.BLOBS, key, body(actual), 5000, 1e6, "bundle"));
		expect(err).toBeInstanceOf(AppError);
		expect((err as AppError).status).toBe(400);
		expect((err as AppError).code).toBe("BODY_LENGTH_MISMATCH");
		expect(await bucketKeys(key)).toEqual([]);
	});

	it.each(["before", "after"] as const)(
		"passes a storage failure (%s the write) on as ours, leaving nothing",
		async (fail) => {
			const key = `hardening/storage-${fail}`;
			const r2 = faultyBucket(env.BLOBS, [{ method: "put", fail }]);
			const err = await failure(putStream(r2.bucket, key, body(5000), 5000, 1e6, "bundle"));
			expect(r2.fired()).toBe(1);
			expect(err).not.toBeInstanceOf(AppError);
			expect(String(err)).toContain("put:");
			expect(await bucketKeys(key)).toEqual([]);
		},
	);

	it("stores a body of the declared length whole", async () => {
		const key = "hardening/exact";
		expect(await putStream(env.BLOBS, key, body(5000), 5000, 1e6, "bundle")).toBe(5000);
		const stored = await env.BLOBS.get(key);
		expect(new Uint8Array(await (stored as R2ObjectBody).arrayBuffer())).toEqual(bytes(5000));
	});
});

describe("a streamed put without a length", () => {
	it.each(["before", "after"] as const)(
		"passes a failed small put (%s the write) on, leaving nothing",
		async (fail) => {
			const key = `hardening/unsized-${fail}`;
			const r2 = faultyBucket(env.BLOBS, [{ method: "put", fail }]);
			const err = await failure(putStream(r2.bucket, key, body(5000), null, 1e6, "bundle"));
			expect(String(err)).toContain("put:");
			expect(await bucketKeys(key)).toEqual([]);
		},
	);
});
