/**
 * Which devices a rollout reaches (SPEC §13): a stable hash of the device key and the rollout
 * id puts every device in one of 10 000 buckets; the rollout reaches the buckets below its
 * percentage (in hundredths of a percent). The bucket never changes for a rollout, so raising
 * the percentage only adds devices, and another rollout of the same model draws other devices.
 *
 * The hash is a linear hash modulo the prime 2^31 − 1 whose nine coefficients are drawn from the
 * rollout id: h = (c0 + Σ c_i · code(key[i])) mod p, bucket = h mod 10 000. It is exact in both
 * JavaScript numbers (every sum stays below 2^53) and SQLite integers, so D1 can count and page
 * the members of a rollout (`bucketSql`) with the very same answer as `deviceBucket`.
 */

export const BUCKETS = 10_000;
const PRIME = 2_147_483_647;
const KEY_LENGTH = 8;

/** The coefficients of one rollout's hash. */
export interface MembershipHash {
	offset: number;
	weights: readonly number[];
}

/** FNV-1a over the id's characters: the seed of the coefficients. */
function fnv1a(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h >>> 0;
}

/** splitmix32: a small, well-mixed generator of 32-bit values from one seed. */
function splitmix32(seed: number): () => number {
	let state = seed | 0;
	return () => {
		state = (state + 0x9e3779b9) | 0;
		let t = state ^ (state >>> 16);
		t = Math.imul(t, 0x21f0aaad);
		t ^= t >>> 15;
		t = Math.imul(t, 0x735a2d97);
		return (t ^ (t >>> 15)) >>> 0;
	};
}

export function membershipHash(rolloutId: string): MembershipHash {
	const next = splitmix32(fnv1a(rolloutId));
	const draw = () => (next() % (PRIME - 1)) + 1;
	const offset = draw();
	const weights = Array.from({ length: KEY_LENGTH }, draw);
	return { offset, weights };
}

/** The device's bucket, 0..9999, for a rollout. */
export function deviceBucket(hash: MembershipHash, deviceKey: string): number {
	let h = hash.offset;
	for (let i = 0; i < KEY_LENGTH; i++) {
		// Keys are 8 characters (SPEC §2, and the schema checks it).
		h += (deviceKey.charCodeAt(i) || 0) * (hash.weights[i] ?? 0);
	}
	return (h % PRIME) % BUCKETS;
}

/** The percentage as a number of buckets: 12.5 % → 1250. */
export function bucketThreshold(percent: number): number {
	return Math.min(BUCKETS, Math.max(0, Math.round(percent * 100)));
}

export function isMember(hash: MembershipHash, deviceKey: string, percent: number): boolean {
	return deviceBucket(hash, deviceKey) < bucketThreshold(percent);
}

/**
 * The bucket of `keyColumn` as an SQL expression, the same as `deviceBucket`. The coefficients
 * are our own integers (never request input), written as literals so the expression can sit in
 * any statement beside its numbered parameters.
 */
export function bucketSql(hash: MembershipHash, keyColumn: string): string {
	const literal = (n: number) => {
		if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a hash coefficient: ${n}`);
		return String(n);
	};
	const terms = hash.weights.map(
		(w, i) => `unicode(substr(${keyColumn}, ${i + 1}, 1)) * ${literal(w)}`,
	);
	return `((${literal(hash.offset)} + ${terms.join(" + ")}) % ${PRIME}) % ${BUCKETS}`;
}
