/** Payload of a breakpoint where nothing covers the address. */
export const NONE = 0xffffffff;

/**
 * Address ranges that may overlap, as parallel arrays. Where several cover an address the one
 * with the lowest `rank` wins, then the one that starts last (the innermost), then the lowest
 * `tie`.
 */
export interface Intervals {
	count: number;
	start: Uint32Array;
	/** Exclusive end; up to 2^32. */
	end: Float64Array;
	rank: Uint8Array;
	tie: Uint32Array;
	payload: Uint32Array;
}

/** Where the winning payload changes: from `starts[i]` up to `starts[i + 1]` it is `payloads[i]`. */
export interface Breakpoints {
	starts: Uint32Array;
	payloads: Uint32Array;
}

export function newIntervals(count: number): Intervals {
	return {
		count,
		start: new Uint32Array(count),
		end: new Float64Array(count),
		rank: new Uint8Array(count),
		tie: new Uint32Array(count),
		payload: new Uint32Array(count),
	};
}

/**
 * Flattens overlapping intervals into breakpoints, by a sweep over their starts and ends with a
 * heap of the intervals open at each point: O(n log n) whatever the overlaps.
 */
export function resolveIntervals(set: Intervals): Breakpoints {
	const { count, start, end } = set;
	const order = new Uint32Array(count);
	for (let i = 0; i < count; i++) order[i] = i;
	order.sort((a, b) => (start[a] as number) - (start[b] as number));
	const ends = Float64Array.from(end.subarray(0, count)).sort();
	const heap = new IntervalHeap(set);
	const starts: number[] = [];
	const payloads: number[] = [];
	let current = NONE;
	let i = 0;
	let j = 0;
	while (i < count || j < count) {
		const nextStart = i < count ? (start[order[i] as number] as number) : Number.POSITIVE_INFINITY;
		const x = Math.min(nextStart, j < count ? (ends[j] as number) : Number.POSITIVE_INFINITY);
		while (i < count && start[order[i] as number] === x) heap.push(order[i++] as number);
		while (j < count && ends[j] === x) j++;
		heap.dropEndedAt(x);
		const winner = heap.size > 0 ? (set.payload[heap.top()] as number) : NONE;
		if (winner !== current && x < 0x100000000) {
			starts.push(x);
			payloads.push(winner);
			current = winner;
		}
	}
	return { starts: Uint32Array.from(starts), payloads: Uint32Array.from(payloads) };
}

class IntervalHeap {
	private readonly items: Uint32Array;
	size = 0;

	constructor(private readonly set: Intervals) {
		this.items = new Uint32Array(Math.max(1, set.count));
	}

	top(): number {
		return this.items[0] as number;
	}

	push(index: number): void {
		let at = this.size++;
		this.items[at] = index;
		while (at > 0) {
			const parent = (at - 1) >> 1;
			if (!this.better(index, this.items[parent] as number)) break;
			this.items[at] = this.items[parent] as number;
			this.items[parent] = index;
			at = parent;
		}
	}

	/** Pops intervals from the top while they end at or before `x`. */
	dropEndedAt(x: number): void {
		while (this.size > 0 && (this.set.end[this.top()] as number) <= x) this.pop();
	}

	private pop(): void {
		const last = this.items[--this.size] as number;
		if (this.size === 0) return;
		let at = 0;
		this.items[0] = last;
		for (;;) {
			const left = at * 2 + 1;
			const right = left + 1;
			let best = at;
			if (left < this.size && this.better(this.items[left] as number, this.items[best] as number)) {
				best = left;
			}
			if (
				right < this.size &&
				this.better(this.items[right] as number, this.items[best] as number)
			) {
				best = right;
			}
			if (best === at) return;
			this.items[at] = this.items[best] as number;
			this.items[best] = last;
			at = best;
		}
	}

	private better(a: number, b: number): boolean {
		const { rank, start, tie } = this.set;
		if (rank[a] !== rank[b]) return (rank[a] as number) < (rank[b] as number);
		if (start[a] !== start[b]) return (start[a] as number) > (start[b] as number);
		return (tie[a] as number) < (tie[b] as number);
	}
}
