import { BadRequest, PayloadTooLarge } from "../errors";

/**
 * Request bodies are read against their limit as they arrive (SPEC §5): a declared
 * Content-Length over the limit is refused unread, and a body without one is cut off as soon
 * as it passes the limit.
 */

/** An upload as it arrives: its bytes, and the length its sender declared (Content-Length). */
export interface UploadBody {
	stream: ReadableStream<Uint8Array> | null;
	/** The declared length as sent, unparsed; null when the sender streams without one. */
	declaredLength: string | null;
}

/** The body's declared length; null when the client streams without one. */
export function declaredLength(upload: UploadBody): number | null {
	const header = upload.declaredLength;
	if (header === null) return null;
	if (!/^\d{1,16}$/.test(header.trim())) {
		throw new BadRequest("INVALID_CONTENT_LENGTH", "The Content-Length header is not a number.");
	}
	return Number(header.trim());
}

/** Refuses what can be refused before reading: a declared length of zero or over the limit. */
export function checkDeclaredLength(declared: number | null, maxBytes: number, what: string): void {
	if (declared === null) return;
	if (declared === 0) throw emptyBody(what);
	if (declared > maxBytes) throw new PayloadTooLarge(maxBytes, what);
}

export function emptyBody(what: string): BadRequest {
	return new BadRequest("EMPTY_BODY", `The request has no ${what} in its body.`);
}

/** Reads a whole body into one buffer, never holding more than `maxBytes` + one chunk. */
export async function readLimited(
	body: ReadableStream<Uint8Array> | null,
	maxBytes: number,
	what: string,
): Promise<Uint8Array> {
	if (!body) throw emptyBody(what);
	const chunks: Uint8Array[] = [];
	let size = 0;
	const reader = body.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > maxBytes) {
			await reader.cancel().catch(() => {});
			throw new PayloadTooLarge(maxBytes, what);
		}
		chunks.push(value);
	}
	if (size === 0) throw emptyBody(what);
	if (chunks.length === 1 && chunks[0]) return chunks[0];
	const bytes = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return bytes;
}

/**
 * Reads the first `count` bytes of a stream and gives back a stream that still yields every
 * byte, so a body can be recognised by its magic before deciding how to consume it.
 */
export async function peek(
	body: ReadableStream<Uint8Array>,
	count: number,
): Promise<{ head: Uint8Array; body: ReadableStream<Uint8Array> }> {
	const reader = body.getReader();
	const buffered: Uint8Array[] = [];
	let size = 0;
	let done = false;
	while (size < count) {
		const next = await reader.read();
		if (next.done) {
			done = true;
			break;
		}
		buffered.push(next.value);
		size += next.value.byteLength;
	}
	const head = new Uint8Array(Math.min(size, count));
	let offset = 0;
	for (const chunk of buffered) {
		if (offset >= head.length) break;
		const take = chunk.subarray(0, head.length - offset);
		head.set(take, offset);
		offset += take.byteLength;
	}
	const replay = new ReadableStream<Uint8Array>({
		pull: async (controller) => {
			const chunk = buffered.shift();
			if (chunk) return controller.enqueue(chunk);
			if (done) return controller.close();
			const next = await reader.read();
			if (next.done) controller.close();
			else controller.enqueue(next.value);
		},
		cancel: (reason) => reader.cancel(reason),
	});
	return { head, body: replay };
}
