import { describe, expect, it } from "vitest";
import { LruCache } from "../../src/lib/lru-cache";

describe("LruCache", () => {
	it("answers what was stored until the time it was stored with, not at that time", () => {
		const cache = new LruCache<string, number>(4);
		cache.set("a", 1, 1000);
		expect(cache.get("a", 0)).toBe(1);
		expect(cache.get("a", 999)).toBe(1);
		expect(cache.get("a", 1000)).toBeUndefined();
		// An expired entry is dropped, not kept until it is evicted.
		expect(cache.size).toBe(0);
	});

	it("holds at most maxEntries, evicting the least recently used", () => {
		const cache = new LruCache<string, number>(3);
		for (const [i, key] of ["a", "b", "c"].entries()) cache.set(key, i, Infinity);
		expect(cache.get("a", 0)).toBe(0); // a is now the most recently used
		cache.set("d", 3, Infinity);
		expect(cache.size).toBe(3);
		expect(cache.get("b", 0)).toBeUndefined();
		expect([cache.get("a", 0), cache.get("c", 0), cache.get("d", 0)]).toEqual([0, 2, 3]);
	});

	it("stays bounded under many distinct keys", () => {
		const cache = new LruCache<number, number>(100);
		for (let i = 0; i < 10_000; i++) cache.set(i, i, Infinity);
		expect(cache.size).toBe(100);
		expect(cache.get(9_899, 0)).toBeUndefined();
		expect(cache.get(9_900, 0)).toBe(9_900);
	});

	it("replaces a value and its time when a key is stored again", () => {
		const cache = new LruCache<string, string>(2);
		cache.set("k", "old", 10);
		cache.set("k", "new", 20);
		expect(cache.size).toBe(1);
		expect(cache.get("k", 15)).toBe("new");
	});

	it("forgets one key or everything", () => {
		const cache = new LruCache<string, number>(4);
		cache.set("a", 1, Infinity);
		cache.set("b", 2, Infinity);
		cache.delete("a");
		expect(cache.get("a", 0)).toBeUndefined();
		expect(cache.get("b", 0)).toBe(2);
		cache.clear();
		expect(cache.size).toBe(0);
	});

	it.each([0, -1, 1.5, Number.NaN])("refuses a bound of %s entries", (n) => {
		expect(() => new LruCache(n)).toThrow(RangeError);
	});
});
