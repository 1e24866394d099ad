/** The facts an app image object carries besides its bytes. */
export interface ImageMetadata {
	sha256: string;
	modelCode: string;
	version: string;
}

/**
 * Stores an app image on its own (so downloads never inflate a bundle). R2 checks the bytes
 * against their SHA-256 before it keeps them.
 */
export async function putImageObject(
	bucket: R2Bucket,
	key: string,
	image: Uint8Array,
	meta: ImageMetadata,
): Promise<void> {
	await bucket.put(key, image, {
		sha256: meta.sha256,
		httpMetadata: { contentType: "application/octet-stream" },
		customMetadata: { model_code: meta.modelCode, version: meta.version },
	});
}
