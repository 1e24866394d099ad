/** Bulk object operations that every area needs. */

const DELETE_BATCH = 1000;

/** Deletes the given keys (any number; R2 takes at most 1000 per call). */
export async function deleteKeys(bucket: R2Bucket, keys: readonly string[]): Promise<void> {
	for (let i = 0; i < keys.length; i += DELETE_BATCH) {
		await bucket.delete(keys.slice(i, i + DELETE_BATCH));
	}
}

/** Lists every key under a prefix, following R2's cursor past its 1000-key pages. */
export async function listKeys(bucket: R2Bucket, prefix: string): Promise<string[]> {
	const keys: string[] = [];
	let cursor: string | undefined;
	do {
		const page = await bucket.list({ prefix, cursor, limit: 1000 });
		for (const object of page.objects) keys.push(object.key);
		cursor = page.truncated ? page.cursor : undefined;
	} while (cursor);
	return keys;
}

/** Removes every object under a prefix; returns how many were deleted. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
	const keys = await listKeys(bucket, prefix);
	await deleteKeys(bucket, keys);
	return keys.length;
}

/** A stored object's bytes as a stream, with the size of the whole object. */
export interface StoredBytes {
	body: ReadableStream<Uint8Array>;
	size: number;
}

/**
 * Opens one object, whole or one range (`offset`, `length`); null when there is no object
 * under the key.
 */
export async function openObject(
	bucket: R2Bucket,
	key: string,
	range?: { offset: number; length: number },
): Promise<StoredBytes | null> {
	const object = await bucket.get(key, range ? { range } : {});
	return object ? { body: object.body as ReadableStream<Uint8Array>, size: object.size } : null;
}

/** The size of one object; null when there is none under the key. */
export async function objectSize(bucket: R2Bucket, key: string): Promise<number | null> {
	return (await bucket.head(key))?.size ?? null;
}
