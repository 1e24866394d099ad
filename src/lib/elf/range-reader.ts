import type { ByteSource } from "../zip/byte-source";
import { elfInvalid } from "./elf-error";
import { LittleEndianReader } from "./little-endian-reader";

/** Bytes fetched per refill by default: one ranged read per MiB of a section. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

const UTF8 = new TextDecoder("utf-8");

/**
 * Reads one range of a ByteSource (an ELF section) front to back through a window of about one
 * chunk, so a section of any size costs one chunk of memory. Positions are relative to the
 * range. The decoding methods are synchronous and never read past the window: a caller first
 * asks for what it needs with `fill(n)` (or checks `available()`), then decodes. Reading past
 * the range's end throws ELF_INVALID naming `what`.
 */
export class RangeReader extends LittleEndianReader {
	readonly length: number;

	constructor(
		private readonly source: ByteSource,
		private readonly start: number,
		length: number,
		readonly what: string,
		private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
	) {
		const empty = new Uint8Array(0);
		super(empty, new DataView(empty.buffer));
		if (start < 0 || length < 0 || start + length > source.size) {
			throw elfInvalid("a section lies outside the file", { section: what });
		}
		this.length = length;
	}

	/** Bytes readable from `pos` without a refill. */
	available(): number {
		return Math.max(0, this.bufStart + this.buf.length - this.pos);
	}

	/** The window as it is: its bytes, and the index in them of `pos` (for tight scanning loops). */
	window(): { bytes: Uint8Array; index: number } {
		return { bytes: this.buf, index: this.pos - this.bufStart };
	}

	/** Bytes left in the range from `pos`. */
	remaining(): number {
		return this.length - this.pos;
	}

	/** Makes at least `min(n, remaining())` bytes readable from `pos`. */
	async fill(n: number): Promise<void> {
		const want = Math.min(n, this.remaining());
		if (this.pos < this.bufStart || this.available() < want) {
			const size = Math.min(Math.max(want, this.chunkBytes), this.remaining());
			this.buf = size > 0 ? await this.source.read(this.start + this.pos, size) : new Uint8Array(0);
			this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
			this.bufStart = this.pos;
		}
	}

	/**
	 * Runs `parse` on a window of at least `sizes[0]` bytes from `pos`; if it runs out of window
	 * before the end of the range, once more on a window of the next size. Records are usually
	 * small but may not be: this keeps the common case to small windows.
	 */
	async withWindow<T>(sizes: number[], parse: () => T): Promise<T> {
		const start = this.pos;
		for (let i = 0; ; i++) {
			await this.fill(sizes[i] as number);
			try {
				return parse();
			} catch (error) {
				const windowEnd = this.bufStart + this.buf.length;
				if (i + 1 >= sizes.length || windowEnd >= this.length) throw error;
				this.pos = start;
			}
		}
	}

	/** Moves to a range-relative position (the next fill reads there). */
	seek(position: number): void {
		if (!(position >= 0 && position <= this.length)) {
			throw elfInvalid("an offset points outside its section", { section: this.what, position });
		}
		this.pos = position;
	}

	skip(n: number): void {
		this.seek(this.pos + n);
	}

	protected override cutShort(): Error {
		return elfInvalid("a record is cut short", { section: this.what, offset: this.pos });
	}

	protected override lebTooLong(): Error {
		return elfInvalid("a LEB128 number is too long", { section: this.what, offset: this.pos });
	}

	/** A 64-bit value; above 2^53 it is refused (no offset or length in a file can be that large). */
	u64(): number {
		const index = this.at(8);
		const high = this.view.getUint32(index + 4, true);
		if (high >= 0x200000)
			throw elfInvalid("a 64-bit value is out of range", { section: this.what });
		return high * 0x100000000 + this.view.getUint32(index, true);
	}

	/** An unsigned value of `size` bytes (1, 2, 4 or 8). */
	unsigned(size: number): number {
		if (size === 1) return this.u8();
		if (size === 2) return this.u16();
		if (size === 4) return this.u32();
		if (size === 8) return this.u64();
		throw elfInvalid("a value has an unsupported size", { section: this.what, size });
	}

	/** The next `n` bytes, as a view into the window (copy them to keep them). */
	bytes(n: number): Uint8Array {
		const index = this.at(n);
		return this.buf.subarray(index, index + n);
	}

	/** A NUL-terminated string that must end inside the window. */
	cstring(): string {
		const index = this.pos - this.bufStart;
		const end = index >= 0 ? this.buf.indexOf(0, index) : -1;
		if (end < 0) throw elfInvalid("a string is not terminated", { section: this.what });
		this.pos += end - index + 1;
		return UTF8.decode(this.buf.subarray(index, end));
	}

	/** The bytes of a NUL-terminated string (without the NUL), as a view into the window. */
	cstringBytes(): Uint8Array {
		const index = this.pos - this.bufStart;
		const end = index >= 0 ? this.buf.indexOf(0, index) : -1;
		if (end < 0) throw elfInvalid("a string is not terminated", { section: this.what });
		this.pos += end - index + 1;
		return this.buf.subarray(index, end);
	}
}
