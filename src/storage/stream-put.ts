import { BadRequest, PayloadTooLarge } from "../errors";

/** R2 multipart parts (all but the last must have one size, at least 5 MiB). */
const PART_SIZE = 8 * 1024 * 1024;

/**
 * Streams a request body into one R2 object without holding it in memory, stopping at
 * `maxBytes`. With a declared length the body goes through a FixedLengthStream (R2 needs a
 * known length; a body that ends early or runs long fails the put). Without one it is sent as
 * a multipart upload of 8 MiB parts, so memory stays at one part whatever the size.
 * Returns the number of bytes stored. On any failure nothing is left under `key`.
 */
export async function putStream(
	bucket: R2Bucket,
	key: string,
	body: ReadableStream<Uint8Array>,
	declared: number | null,
	maxBytes: number,
	what: string,
	options: R2PutOptions = {},
): Promise<number> {
	return declared === null
		? putUnknownLength(bucket, key, body, maxBytes, what, options)
		: putKnownLength(bucket, key, body, declared, what, options);
}

async function putKnownLength(
	bucket: R2Bucket,
	key: string,
	body: ReadableStream<Uint8Array>,
	length: number,
	what: string,
	options: R2PutOptions,
): Promise<number> {
	const fixed = new FixedLengthStream(length);
	// Counted on the way, so a failed put can be told apart: the client's body was not the
	// length it declared (400), or storage failed under a body that was fine (rethrown, 5xx).
	let received = 0;
	let ended = false;
	const counter = new TransformStream<Uint8Array, Uint8Array>({
		transform(chunk, controller) {
			received += chunk.byteLength;
			controller.enqueue(chunk);
		},
		flush() {
			ended = true;
		},
	});
	const piping = body
		.pipeThrough(counter)
		.pipeTo(fixed.writable)
		.catch((err: unknown) => err);
	try {
		await bucket.put(key, fixed.readable, options);
	} catch (err) {
		await piping;
		await bucket.delete(key).catch(() => {});
		if (received > length || (ended && received < length)) {
			throw new BadRequest(
				"BODY_LENGTH_MISMATCH",
				`The ${what} did not match its Content-Length of ${length} bytes.`,
			);
		}
		throw err;
	}
	const failure = await piping;
	if (failure !== undefined) {
		await bucket.delete(key).catch(() => {});
		throw new BadRequest("BODY_INCOMPLETE", `The ${what} was cut off while it was being read.`);
	}
	return length;
}

async function putUnknownLength(
	bucket: R2Bucket,
	key: string,
	body: ReadableStream<Uint8Array>,
	maxBytes: number,
	what: string,
	options: R2PutOptions,
): Promise<number> {
	const reader = body.getReader();
	let pending = new Uint8Array(PART_SIZE);
	let filled = 0;
	let total = 0;
	let upload: R2MultipartUpload | undefined;
	const parts: R2UploadedPart[] = [];
	let finishing = false;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			total += value.byteLength;
			if (total > maxBytes) {
				await reader.cancel().catch(() => {});
				throw new PayloadTooLarge(maxBytes, what);
			}
			let offset = 0;
			while (offset < value.byteLength) {
				const take = Math.min(PART_SIZE - filled, value.byteLength - offset);
				pending.set(value.subarray(offset, offset + take), filled);
				filled += take;
				offset += take;
				if (filled === PART_SIZE) {
					upload ??= await bucket.createMultipartUpload(key, options);
					parts.push(await upload.uploadPart(parts.length + 1, pending));
					pending = new Uint8Array(PART_SIZE);
					filled = 0;
				}
			}
		}
		if (total === 0) throw new BadRequest("EMPTY_BODY", `The request has no ${what} in its body.`);
		if (!upload) {
			finishing = true;
			await bucket.put(key, pending.subarray(0, filled), options);
			return total;
		}
		if (filled > 0)
			parts.push(await upload.uploadPart(parts.length + 1, pending.subarray(0, filled)));
		finishing = true;
		await upload.complete(parts);
		return total;
	} catch (err) {
		await upload?.abort().catch(() => {});
		// A put or completion whose answer was lost may have stored the object after all.
		if (finishing) await bucket.delete(key).catch(() => {});
		throw err;
	}
}
