/** What a core dump object carries besides its bytes (SPEC §7), readable without D1. */
export interface CoredumpMetadata {
	chip: string;
	firmware_version: string;
	device_key: string;
	model_code: string;
	uploaded_at: string;
	sha256: string;
}

/** The bytes and their metadata in one put; R2 checks the bytes against their SHA-256. */
export async function putCoredumpObject(
	bucket: R2Bucket,
	key: string,
	bytes: Uint8Array,
	meta: CoredumpMetadata,
): Promise<void> {
	await bucket.put(key, bytes, {
		sha256: meta.sha256,
		httpMetadata: { contentType: "application/octet-stream" },
		customMetadata: { ...meta },
	});
}
