import { env } from "cloudflare:workers";
import {
	base64url,
	CompactSign,
	exportJWK,
	generateKeyPair,
	importJWK,
	type JWK,
	type JWTPayload,
	SignJWT,
} from "jose";
import { AUDIENCE, ISSUER } from "./tokens";

/**
 * Raw token building for the hostile tests: headers and payloads exactly as written (even when
 * they are not valid JSON), unsigned tokens, and keys the Worker does not trust.
 */

const encoder = new TextEncoder();

export function encodePart(part: string | Uint8Array | object): string {
	if (typeof part === "string") return base64url.encode(part);
	if (part instanceof Uint8Array) return base64url.encode(part);
	return base64url.encode(JSON.stringify(part));
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The claims of a token the Worker would accept (given a trusted signature). */
export function validClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
	const now = nowSeconds();
	return { iss: ISSUER, aud: AUDIENCE, sub: "tester", iat: now, exp: now + 600, ...extra };
}

/** `header.payload.` with no signature, as an `alg: none` token is written. */
export function unsignedToken(header: object, payload: object | string): string {
	return `${encodePart(header)}.${encodePart(payload)}.`;
}

/** Signs the payload bytes as given (a string is signed verbatim, even if it is not JSON). */
export function signRaw(
	header: { alg: string; kid?: string } & Record<string, unknown>,
	payload: object | string,
	key: CryptoKey | Uint8Array,
): Promise<string> {
	const bytes = encoder.encode(typeof payload === "string" ? payload : JSON.stringify(payload));
	return new CompactSign(bytes).setProtectedHeader(header).sign(key);
}

let trusted: CryptoKey | undefined;

/** The private key whose public half the test Worker trusts (kid `test-key-1`). */
export async function trustedPrivateKey(): Promise<CryptoKey> {
	if (!trusted) trusted = (await importJWK(privateJwk(), "ES256")) as CryptoKey;
	return trusted;
}

/** The public JWK the Worker trusts, as published in its JWKS. */
export function trustedPublicJwk(): JWK {
	const { d: _private, ...publicJwk } = privateJwk();
	return { ...publicJwk, use: "sig" };
}

function privateJwk(): JWK {
	return JSON.parse(env.TEST_SIGNING_JWK ?? "") as JWK;
}

export interface ForeignKey {
	privateKey: CryptoKey;
	publicJwk: JWK;
}

/** A fresh key pair the Worker knows nothing about (until a test publishes its public half). */
export async function foreignKey(alg: "ES256" | "RS256", kid: string): Promise<ForeignKey> {
	const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
	return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** A well-formed token with the usual issuer and audience, signed by any key. */
export function signWith(
	key: ForeignKey | CryptoKey,
	claims: JWTPayload = {},
	header: { alg?: string; kid?: string } & Record<string, unknown> = {},
): Promise<string> {
	const privateKey = "privateKey" in key ? key.privateKey : key;
	const alg = header.alg ?? ("publicJwk" in key ? String(key.publicJwk.alg) : "ES256");
	const kid = "publicJwk" in key ? key.publicJwk.kid : "test-key-1";
	return new SignJWT({ sub: "tester", ...claims })
		.setProtectedHeader({ kid, ...header, alg })
		.setIssuer(ISSUER)
		.setAudience(AUDIENCE)
		.setIssuedAt()
		.setExpirationTime("10m")
		.sign(privateKey);
}
