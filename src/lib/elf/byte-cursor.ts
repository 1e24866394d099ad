import { LittleEndianReader } from "./little-endian-reader";

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
export class ByteCursor extends LittleEndianReader {
	constructor(readonly bytes: Uint8Array) {
		super(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
	}

	get remaining(): number {
		return this.bytes.length - this.pos;
	}

	protected override cutShort(): Error {
		return new CursorEnd();
	}

	protected override lebTooLong(): Error {
		return new CursorEnd();
	}

	/** 64-bit, as a number (exact below 2^53). */
	u64(): number {
		const at = this.at(8);
		return this.view.getUint32(at + 4, true) * 0x100000000 + this.view.getUint32(at, true);
	}

	i16(): number {
		return this.view.getInt16(this.at(2), true);
	}

	i32(): number {
		return this.view.getInt32(this.at(4), true);
	}

	i64(): number {
		const at = this.at(8);
		return this.view.getInt32(at + 4, true) * 0x100000000 + this.view.getUint32(at, true);
	}

	bytesOf(n: number): Uint8Array {
		const at = this.at(n);
		return this.bytes.subarray(at, at + n);
	}

	skip(n: number): void {
		this.at(n);
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
