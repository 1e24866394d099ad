import type { ByteSource } from "../zip/byte-source";

/** Page size of random reads: one ranged read fetches this much around what was asked for. */
export const PAGE_BYTES = 64 * 1024;

/**
 * Random access to a range of a ByteSource through aligned pages kept in a small LRU cache, so
 * scattered small reads (strings, index records) cost one ranged read per page, not one each.
 * Offsets are relative to the range; callers check them against `length` first.
 */
export class PageCache {
	private readonly pages = new Map<number, Uint8Array>();

	constructor(
		private readonly source: ByteSource,
		private readonly start: number,
		readonly length: number,
		private readonly maxPages = 32,
		private readonly pageBytes = PAGE_BYTES,
	) {}

	/** Exactly `length` bytes from `offset`; the range must lie inside. */
	async read(offset: number, length: number): Promise<Uint8Array> {
		if (offset < 0 || length < 0 || offset + length > this.length) {
			throw new RangeError(`Range ${offset}+${length} is outside ${this.length} bytes.`);
		}
		const first = Math.floor(offset / this.pageBytes);
		const last = Math.floor((offset + Math.max(length, 1) - 1) / this.pageBytes);
		if (first === last) {
			const page = await this.page(first);
			const at = offset - first * this.pageBytes;
			return page.subarray(at, at + length);
		}
		const out = new Uint8Array(length);
		for (let index = first; index <= last; index++) {
			const page = await this.page(index);
			const pageStart = index * this.pageBytes;
			const from = Math.max(offset, pageStart);
			const to = Math.min(offset + length, pageStart + page.length);
			out.set(page.subarray(from - pageStart, to - pageStart), from - offset);
		}
		return out;
	}

	/**
	 * The bytes of the NUL-terminated string at `offset`, without the NUL; null when no NUL comes
	 * within `maxLength` bytes or before the end.
	 */
	async cstring(offset: number, maxLength = 4096): Promise<Uint8Array | null> {
		if (offset < 0 || offset >= this.length) return null;
		const limit = Math.min(this.length, offset + maxLength + 1);
		const parts: Uint8Array[] = [];
		let at = offset;
		while (at < limit) {
			const index = Math.floor(at / this.pageBytes);
			const page = await this.page(index);
			const from = at - index * this.pageBytes;
			const to = Math.min(page.length, limit - index * this.pageBytes);
			const nul = page.subarray(from, to).indexOf(0);
			if (nul >= 0) {
				parts.push(page.subarray(from, from + nul));
				return parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
			}
			parts.push(page.subarray(from, to));
			at = index * this.pageBytes + to;
		}
		return null;
	}

	private async page(index: number): Promise<Uint8Array> {
		const cached = this.pages.get(index);
		if (cached) {
			this.pages.delete(index);
			this.pages.set(index, cached);
			return cached;
		}
		const pageStart = index * this.pageBytes;
		const size = Math.min(this.pageBytes, this.length - pageStart);
		const page = await this.source.read(this.start + pageStart, size);
		this.pages.set(index, page);
		if (this.pages.size > this.maxPages) {
			const oldest = this.pages.keys().next().value as number;
			this.pages.delete(oldest);
		}
		return page;
	}
}

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}
