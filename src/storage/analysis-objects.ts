/**
 * Core dump bytes as the analysis reads them, and analyses too large for a D1 row (SPEC §10).
 */

/** The dump's bytes; null when its object is gone. A dump is at most COREDUMP_MAX_BYTES. */
export async function readCoredumpBytes(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
	const object = await bucket.get(key);
	return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

/** The dump as a stream, for the crash bundle; null when its object is gone. */
export async function openCoredumpObject(
	bucket: R2Bucket,
	key: string,
): Promise<ReadableStream<Uint8Array> | null> {
	const object = await bucket.get(key);
	return object ? (object.body as ReadableStream<Uint8Array>) : null;
}

export async function putAnalysisJson(bucket: R2Bucket, key: string, json: string): Promise<void> {
	await bucket.put(key, json, {
		httpMetadata: { contentType: "application/json" },
	});
}

export async function readAnalysisJson(bucket: R2Bucket, key: string): Promise<string | null> {
	const object = await bucket.get(key);
	return object ? object.text() : null;
}
