import { AppError } from "../errors";

/**
 * Copies one object to another key by streaming it through the Worker (the Workers R2 API
 * has no server-side copy); memory stays at one chunk whatever the size.
 */
export async function copyObject(
	bucket: R2Bucket,
	from: string,
	to: string,
	size: number,
	options: R2PutOptions = {},
): Promise<void> {
	const source = await bucket.get(from);
	if (!source)
		throw new AppError("INTERNAL_ERROR", "A staged upload vanished before it was stored.");
	const fixed = new FixedLengthStream(size);
	const piping = source.body.pipeTo(fixed.writable);
	await Promise.all([
		bucket.put(to, fixed.readable, { httpMetadata: source.httpMetadata, ...options }),
		piping,
	]);
}
