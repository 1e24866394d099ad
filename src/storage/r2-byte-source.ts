import { AppError } from "../errors";
import { assertRange, type ByteSource } from "../lib/zip/byte-source";

/**
 * A ByteSource over one R2 object of known size, read with plain `{ offset, length }` ranges
 * (never a Range header: R2 is lenient with those). Used to validate a staged bundle without
 * loading it: each read is one ranged GET.
 */
export function r2ByteSource(bucket: R2Bucket, key: string, size: number): ByteSource {
	async function get(offset: number, length: number): Promise<R2ObjectBody> {
		const object = await bucket.get(key, { range: { offset, length } });
		if (object === null) throw objectMissing();
		if (object.size !== size) {
			await object.body.cancel();
			throw objectChanged({ expected_size: size, actual_size: object.size });
		}
		return object;
	}

	return {
		size,
		async read(offset, length) {
			assertRange(size, offset, length);
			if (length === 0) return new Uint8Array(0);
			const bytes = await (await get(offset, length)).bytes();
			if (bytes.length === length) return bytes;
			throw objectChanged({ expected_bytes: length, read_bytes: bytes.length });
		},
		async stream(offset, length) {
			assertRange(size, offset, length);
			// Never ask R2 for an empty range: it answers odd ranges with the whole object.
			if (length === 0) return new Blob([]).stream();
			return (await get(offset, length)).body as ReadableStream<Uint8Array>;
		},
	};
}

function objectMissing(): AppError {
	return new AppError(
		"STORAGE_OBJECT_MISSING",
		"A stored file disappeared while it was being read; please try again.",
	);
}

function objectChanged(details: Record<string, number>): AppError {
	return new AppError(
		"STORAGE_OBJECT_CHANGED",
		"A stored file changed while it was being read; please try again.",
		details,
	);
}
