/**
 * The little-endian fixed-width and LEB128 decoding that ByteCursor (bytes in memory) and
 * RangeReader (a window of a ranged source) share, every read checked against the end of `buf`.
 * A subclass says only what a read past the end and an over-long LEB128 number throw. The bounds
 * check is here, not in the subclasses, so the decoding methods call one `at` whichever reader
 * runs them (an overridden `at` made them measurably slower once both readers were in use).
 */
export abstract class LittleEndianReader {
	/** Read position (for a RangeReader, relative to its range). */
	pos = 0;
	/** Position of buf[0]: 0 for bytes in memory, where the window starts for a range. */
	protected bufStart = 0;

	constructor(
		protected buf: Uint8Array,
		protected view: DataView,
	) {}

	/** What reading past the end of `buf` throws. */
	protected abstract cutShort(): Error;

	/** What a LEB128 number of more than 10 bytes throws. */
	protected abstract lebTooLong(): Error;

	/** The index in `buf` of the next `n` bytes, moving `pos` past them. */
	protected at(n: number): number {
		const index = this.pos - this.bufStart;
		if (n < 0 || index < 0 || index + n > this.buf.length) throw this.cutShort();
		this.pos += n;
		return index;
	}

	u8(): number {
		return this.buf[this.at(1)] as number;
	}

	u16(): number {
		return this.view.getUint16(this.at(2), true);
	}

	u32(): number {
		return this.view.getUint32(this.at(4), true);
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
		throw this.lebTooLong();
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
		throw this.lebTooLong();
	}
}
