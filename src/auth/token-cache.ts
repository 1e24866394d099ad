import { sha256Hex } from "../lib/hex";
import { LruCache } from "../lib/lru-cache";
import type { Principal } from "./principal";

/**
 * Tokens this isolate has verified, so that a device's 33 range requests cost one signature
 * check, not 33 (SPEC §12). Keyed by the token's SHA-256: the bearer token itself is never kept
 * as a key. An entry holds the verified principal and is valid
 * - only under the configuration it was verified with (issuer, audience, key source, skew);
 * - never past the token's `exp` plus the clock skew, exactly where verification would start
 *   answering TOKEN_EXPIRED;
 * - never longer than MAX_REMEMBER_MS after the check, the time a remote key set is trusted
 *   without refetching it, so a key the provider removes stops vouching for cached tokens
 *   as soon as it stops vouching for new ones.
 * Only successful verifications are stored; a refused token is checked again every time.
 */
const MAX_ENTRIES = 10_000;
export const MAX_REMEMBER_MS = 10 * 60_000;

interface Verified {
	principal: Principal;
	config: string;
	verifiedAt: number;
}

const verified = new LruCache<string, Verified>(MAX_ENTRIES);
const encoder = new TextEncoder();

/** The key a token is remembered under: its SHA-256 (about 12 µs), never the token. */
export function tokenCacheKey(token: string): Promise<string> {
	return sha256Hex(encoder.encode(token));
}

/** The principal of a token verified under `config`, if it is still valid at `now`. */
export function rememberedPrincipal(key: string, config: string, now: number): Principal | null {
	const entry = verified.get(key, now);
	if (!entry || entry.config !== config || now < entry.verifiedAt) return null;
	return entry.principal;
}

/**
 * Remembers a token that has just passed verification at `now`. `validUntilMs` is the first
 * instant at which verification would refuse it as expired (`(exp + skew) * 1000`).
 */
export function rememberPrincipal(
	key: string,
	config: string,
	principal: Principal,
	now: number,
	validUntilMs: number,
): void {
	const until = Math.min(validUntilMs, now + MAX_REMEMBER_MS);
	if (!(until > now)) return;
	verified.set(key, { principal, config, verifiedAt: now }, until);
}

/** Forgets every verified token (tests that start over). */
export function forgetVerifiedTokens(): void {
	verified.clear();
}
