/** A Uint32Array that grows as values are pushed; `view()` is the filled part. */
export class GrowableU32 {
	private data: Uint32Array;
	length = 0;

	constructor(initial = 1024) {
		this.data = new Uint32Array(initial);
	}

	push(value: number): void {
		if (this.length === this.data.length) {
			const next = new Uint32Array(this.data.length * 2);
			next.set(this.data);
			this.data = next;
		}
		this.data[this.length++] = value;
	}

	get(index: number): number {
		return this.data[index] as number;
	}

	set(index: number, value: number): void {
		this.data[index] = value;
	}

	/** Drops values from `length` on. */
	truncate(length: number): void {
		this.length = Math.min(this.length, length);
	}

	view(): Uint32Array {
		return this.data.subarray(0, this.length);
	}
}

/** Bytes appended end to end (names, paths), each found again by offset and length. */
export class ByteBlob {
	private data = new Uint8Array(64 * 1024);
	length = 0;

	/** Appends `bytes` and returns where they start. */
	append(bytes: Uint8Array): number {
		if (this.length + bytes.length > this.data.length) {
			let size = this.data.length * 2;
			while (size < this.length + bytes.length) size *= 2;
			const next = new Uint8Array(size);
			next.set(this.data.subarray(0, this.length));
			this.data = next;
		}
		const at = this.length;
		this.data.set(bytes, at);
		this.length += bytes.length;
		return at;
	}

	view(): Uint8Array {
		return this.data.subarray(0, this.length);
	}
}

const CHUNK_SHIFT = 16;
const CHUNK_SIZE = 1 << CHUNK_SHIFT;

/**
 * A u32 list of any length in chunks of 64 Ki values: growing never copies what is there, and
 * what it holds is never more than one chunk beyond its length.
 */
export class ChunkedU32 {
	private readonly chunks: Uint32Array[] = [];
	length = 0;

	push(value: number): void {
		const chunk = this.length >>> CHUNK_SHIFT;
		if (chunk === this.chunks.length) this.chunks.push(new Uint32Array(CHUNK_SIZE));
		(this.chunks[chunk] as Uint32Array)[this.length & (CHUNK_SIZE - 1)] = value;
		this.length++;
	}

	get(index: number): number {
		return (this.chunks[index >>> CHUNK_SHIFT] as Uint32Array)[index & (CHUNK_SIZE - 1)] as number;
	}
}
