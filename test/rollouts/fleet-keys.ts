/** Device keys for simulated fleets: base32 as the server draws them, from a fixed seed. */
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export function simulatedKeys(count: number, seed = 1): string[] {
	let x = seed >>> 0 || 1;
	const next = () => {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		return x >>> 0;
	};
	const keys = new Set<string>();
	while (keys.size < count) {
		let key = "";
		for (let i = 0; i < 8; i++) key += BASE32[next() % 32];
		keys.add(key);
	}
	return [...keys];
}

/** Keys a person might type in a test: `d0000000`, `d0000001`, … (only the tail varies). */
export function sequentialKeys(count: number, prefix = "d"): string[] {
	return Array.from({ length: count }, (_, i) => `${prefix}${i.toString(36).padStart(7, "0")}`);
}
