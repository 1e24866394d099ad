/**
 * A bounded map that forgets: at most `maxEntries` entries, the least recently used one evicted
 * first, and each entry valid only until the time it was stored with. Time is always given by
 * the caller (milliseconds), so the cache has no clock of its own and every rule about time
 * stays with the code that owns the entries.
 */
export class LruCache<K, V> {
	/** Insertion order is recency order: a hit moves its entry to the end. */
	private readonly entries = new Map<K, { value: V; until: number }>();

	constructor(readonly maxEntries: number) {
		if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
			throw new RangeError("an LRU cache holds at least one entry");
		}
	}

	/** The value stored under `key` if it is still valid at `now`; an expired one is dropped. */
	get(key: K, now: number): V | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		this.entries.delete(key);
		if (!(now < entry.until)) return undefined;
		this.entries.set(key, entry);
		return entry.value;
	}

	/** Stores `value` until `until` (exclusive), evicting the least recently used when full. */
	set(key: K, value: V, until: number): void {
		this.entries.delete(key);
		this.entries.set(key, { value, until });
		while (this.entries.size > this.maxEntries) {
			const oldest = this.entries.keys().next();
			if (oldest.done) break;
			this.entries.delete(oldest.value);
		}
	}

	delete(key: K): void {
		this.entries.delete(key);
	}

	clear(): void {
		this.entries.clear();
	}

	get size(): number {
		return this.entries.size;
	}
}
