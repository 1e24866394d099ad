/**
 * Decides, in the isolate, whether a per-key timestamp is worth writing again: at most once per
 * `intervalMs` per key, judged from the stored value and from this isolate's own last write
 * (so a cached, older copy of the row does not cause a write per request). Bounded: past
 * `maxKeys` the memory of the isolate's writes starts over, which costs at most one extra write
 * per key.
 */
export class WriteThrottle {
	private readonly written = new Map<string, number>();

	constructor(private readonly maxKeys = 10_000) {}

	/** True when a write is due now; it is then remembered as done. */
	claim(key: string, storedIso: string | null, nowMs: number, intervalMs: number): boolean {
		const stored = storedIso === null ? Number.NEGATIVE_INFINITY : Date.parse(storedIso);
		const mine = this.written.get(key) ?? Number.NEGATIVE_INFINITY;
		if (nowMs - Math.max(stored, mine) < intervalMs) return false;
		if (this.written.size >= this.maxKeys) this.written.clear();
		this.written.set(key, nowMs);
		return true;
	}
}
