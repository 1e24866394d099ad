/** Thrown by ByteCursor when a value runs past the end of its bytes. */
export class CursorEnd extends Error {
	constructor() {
		super("Read past the end of the bytes.");
		this.name = "CursorEnd";
	}
}

/**
 * Little-endian reading of bytes already in memory (one CFI entry, one index record), every read
 * checked against the end.
 */
export class ByteCursor {
	pos = 0;
	private readonly view: DataView;

	constructor(readonly bytes: Uint8Array) {
		this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}

	get remaining(): number {
		return this.bytes.length - this.pos;
	}

	private take(n: number): number {
		if (n < 0 || this.pos + n > this.bytes.length) throw new CursorEnd();
		const at = this.pos;
		this.pos += n;
		return at;
	}

	u8(): number {
		return this.bytes[this.take(1)] as number;
	}

	u16(): number {
		return this.view.getUint16(this.take(2), true);
	}

	u32(): number {
		return this.view.getUint32(this.take(4), true);
	}

	/** 64-bit, as a number (exact below 2^53). */
	u64(): number {
		const at = this.take(8);
		return this.view.getUint32(at + 4, true) * 0x100000000 + this.view.getUint32(at, true);
	}

	i16(): number {
		return this.view.getInt16(this.take(2), true);
	}

	i32(): number {
		return this.view.getInt32(this.take(4), true);
	}

	i64(): number {
		const at = this.take(8);
		return this.view.getInt32(at + 4, true) * 0x100000000 + this.view.getUint32(at, true);
	}

	uleb(): number {
		let result = 0;
		let scale = 1;
		for (let i = 0; i < 10; i++) {
			const byte = this.u8();
			result += (byte & 0x7f) * scale;
			if ((byte & 0x80) === 0) return result;
			scale *= 128;
		}
		throw new CursorEnd();
	}

	sleb(): number {
		let result = 0;
		let scale = 1;
		for (let i = 0; i < 10; i++) {
			const byte = this.u8();
			result += (byte & 0x7f) * scale;
			scale *= 128;
			if ((byte & 0x80) === 0) return byte & 0x40 ? result - scale : result;
		}
		throw new CursorEnd();
	}

	bytesOf(n: number): Uint8Array {
		const at = this.take(n);
		return this.bytes.subarray(at, at + n);
	}

	skip(n: number): void {
		this.take(n);
	}

	/** A NUL-terminated string of at most `max` bytes, decoded as Latin-1 (CIE augmentations). */
	cstring(max = 64): string {
		const end = this.bytes.indexOf(0, this.pos);
		if (end < 0 || end - this.pos > max) throw new CursorEnd();
		const text = String.fromCharCode(...this.bytes.subarray(this.pos, end));
		this.pos = end + 1;
		return text;
	}
}
