import { toHex } from "./hex";

/**
 * A pass-through that hashes what flows through it (SHA-256), so one pass over a stream can both
 * store and hash it. Backpressure is the consumer's: nothing is buffered beyond one chunk.
 */
export interface Sha256Tap {
	readonly transform: TransformStream<Uint8Array, Uint8Array>;
	/** The hex digest, once the stream has ended. */
	digest(): Promise<string>;
}

export function sha256Tap(): Sha256Tap {
	const hasher = new crypto.DigestStream("SHA-256");
	const writer = hasher.getWriter();
	const transform = new TransformStream<Uint8Array, Uint8Array>({
		async transform(chunk, controller) {
			await writer.write(chunk);
			controller.enqueue(chunk);
		},
		async flush() {
			await writer.close();
		},
	});
	return {
		transform,
		digest: async () => toHex(new Uint8Array(await hasher.digest)),
	};
}
