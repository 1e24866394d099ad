import { errors, jwtVerify } from "jose";
import type { Env } from "../env";
import { AppError, ServiceUnavailable, Unauthorized } from "../errors";
import { keySetFor, notConfigured } from "./key-set";
import type { Principal } from "./principal";
import { clientIdOf, rolesOf } from "./roles";
import { rememberedPrincipal, rememberPrincipal, tokenCacheKey } from "./token-cache";

/** Asymmetric algorithms only: `none` and HMAC (whose "key" could be a public key) never pass. */
const ALGORITHMS = [
	"RS256",
	"RS384",
	"RS512",
	"PS256",
	"PS384",
	"PS512",
	"ES256",
	"ES384",
	"ES512",
	"EdDSA",
	"Ed25519",
];
/** Longer headers are refused unread; real tokens, even with many roles, are a few KiB. */
const MAX_AUTHORIZATION_LENGTH = 16_384;

/**
 * Verifies `Authorization: Bearer <JWT>` per SPEC §3. Fails closed when unconfigured. A token
 * this isolate has already verified under the same configuration is not checked again until
 * it expires (see token-cache.ts): the answer is the same, the signature check is not repeated.
 */
export async function verifyAuthorization(
	env: Env,
	header: string | undefined,
): Promise<Principal> {
	const issuer = env.OIDC_ISSUER?.trim();
	const audience = env.OIDC_AUDIENCE?.trim();
	if (!issuer || !audience) throw notConfigured();
	// A broken inline key set is a configuration fault (503) whatever the request carries; a
	// remote one is only fetched for a request that has a token to check.
	const inline = env.OIDC_JWKS?.trim();
	const inlineKeys = inline ? await keySetFor(env) : null;
	const token = bearerToken(header);
	const skew = clockSkewSeconds(env);
	// Everything the answer depends on besides the token: a token verified under another
	// issuer, audience, key source or skew is verified again.
	const config = [issuer, audience, inline || env.OIDC_JWKS_URL?.trim() || "", skew].join("\n");
	const now = Date.now();
	const cacheKey = await tokenCacheKey(token);
	const remembered = rememberedPrincipal(cacheKey, config, now);
	if (remembered) return remembered;

	const keys = inlineKeys ?? (await keySetFor(env));
	try {
		const { payload } = await jwtVerify(token, keys, {
			issuer,
			audience,
			algorithms: ALGORITHMS,
			clockTolerance: skew,
			currentDate: new Date(now),
			// Without this jose accepts a token that has no `exp` at all, forever.
			requiredClaims: ["exp"],
		});
		const principal: Principal = {
			subject: typeof payload.sub === "string" ? payload.sub : "",
			roles: rolesOf(payload, audience),
			clientId: clientIdOf(payload),
		};
		// jose refuses a token once `exp <= now - skew`, now in whole seconds: it stays valid
		// until the first millisecond of second ⌈exp + skew⌉.
		const validUntil = Math.ceil((payload.exp as number) + skew) * 1000;
		rememberPrincipal(cacheKey, config, principal, now, validUntil);
		return principal;
	} catch (err) {
		throw tokenError(err);
	}
}

function bearerToken(header: string | undefined): string {
	if (!header) throw new Unauthorized("AUTH_REQUIRED", "This endpoint needs a bearer token.");
	if (header.length > MAX_AUTHORIZATION_LENGTH) {
		throw new Unauthorized("TOKEN_INVALID", "The bearer token is too long to be valid.");
	}
	const match = /^Bearer[ ]+([A-Za-z0-9_.~+/=-]+)[ ]*$/i.exec(header);
	if (!match?.[1]) {
		throw new Unauthorized("AUTH_REQUIRED", "The Authorization header must be 'Bearer <token>'.");
	}
	return match[1];
}

function clockSkewSeconds(env: Env): number {
	const n = Number(env.OIDC_CLOCK_SKEW_SECONDS ?? "30");
	return Number.isFinite(n) && n >= 0 && n <= 600 ? n : 30;
}

function tokenError(err: unknown): AppError {
	if (err instanceof AppError) return err;
	if (err instanceof errors.JWTExpired) {
		return new Unauthorized("TOKEN_EXPIRED", "The bearer token has expired.");
	}
	if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
		return new ServiceUnavailable(
			"AUTH_UNAVAILABLE",
			"The identity provider's signing keys could not be read.",
		);
	}
	if (
		err instanceof errors.JWKSNoMatchingKey ||
		err instanceof errors.JWSSignatureVerificationFailed
	) {
		return new Unauthorized("TOKEN_INVALID", "The bearer token is not signed by a trusted key.");
	}
	if (err instanceof errors.JWTClaimValidationFailed) {
		return new Unauthorized(
			"TOKEN_INVALID",
			`The bearer token's '${err.claim}' claim is not accepted.`,
		);
	}
	if (err instanceof errors.JOSEAlgNotAllowed) {
		return new Unauthorized(
			"TOKEN_INVALID",
			"The bearer token's signing algorithm is not accepted.",
		);
	}
	if (!(err instanceof errors.JOSEError) || err.code === errors.JOSEError.code) {
		// jose's remote key set passes a failed fetch on as the fetch's own error, and reports a
		// provider that answers other than 200 with JSON as a plain JOSEError.
		return new ServiceUnavailable(
			"AUTH_UNAVAILABLE",
			"The identity provider could not be reached.",
		);
	}
	return new Unauthorized("TOKEN_INVALID", "The bearer token is not a valid JWT.");
}
