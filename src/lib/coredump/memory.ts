/** One block of target memory the dump holds: [start, start + bytes.length). */
export interface MemorySegment {
	start: number;
	bytes: Uint8Array;
}

/**
 * The target's memory as far as the dump holds it (TCBs, stacks, extra regions): reads of
 * 32-bit little-endian words by address, null where the dump has nothing. Segments are sorted
 * once; a read is a binary search.
 */
export class Memory {
	private readonly segments: { start: number; end: number; view: DataView }[];

	constructor(segments: readonly MemorySegment[]) {
		this.segments = segments
			.filter((s) => s.bytes.length > 0)
			.map((s) => ({
				start: s.start,
				end: s.start + s.bytes.length,
				view: new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength),
			}))
			.sort((a, b) => a.start - b.start);
	}

	/** The word at `address` (any alignment), or null when the dump does not hold all 4 bytes. */
	readU32(address: number): number | null {
		const segment = this.segmentAt(address, 4);
		return segment ? segment.view.getUint32(address - segment.start, true) : null;
	}

	/** The bounds of the segment holding `address`, or null. */
	regionAt(address: number): { start: number; end: number } | null {
		const segment = this.segmentAt(address, 1);
		return segment ? { start: segment.start, end: segment.end } : null;
	}

	private segmentAt(address: number, length: number) {
		if (!Number.isInteger(address) || address < 0) return null;
		const list = this.segments;
		let low = 0;
		let high = list.length - 1;
		let found = -1;
		while (low <= high) {
			const mid = (low + high) >> 1;
			if ((list[mid] as (typeof list)[number]).start <= address) {
				found = mid;
				low = mid + 1;
			} else high = mid - 1;
		}
		// Segments may overlap in a damaged dump: look back a few for one that holds the read.
		for (let i = found; i >= 0 && i > found - 8; i--) {
			const segment = list[i] as (typeof list)[number];
			if (address >= segment.start && address + length <= segment.end) return segment;
		}
		return null;
	}
}
