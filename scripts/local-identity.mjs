// The local development identity: an ES256 key generated on first use and kept in .dev/
// (git-ignored). `npm start` trusts its public half and runs the local OpenID provider
// (local-idp.mjs) with it for the console's sign-in; `npm run token` signs with it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";

/** Where the local OpenID provider listens; its URL is the issuer of every local token. */
export const LOCAL_IDP_PORT = Number(process.env.IDP_PORT ?? 8786);
export const LOCAL_ISSUER = `http://127.0.0.1:${LOCAL_IDP_PORT}`;
export const LOCAL_AUDIENCE = "ota-edge";
export const LOCAL_CONSOLE_CLIENT_ID = "ota-edge-console";
const DIR = new URL("../.dev/", import.meta.url);
const KEY_FILE = new URL("signing-key.json", DIR);

export async function localKey() {
	if (!existsSync(KEY_FILE)) {
		const { privateKey } = await generateKeyPair("ES256", { extractable: true });
		const jwk = { ...(await exportJWK(privateKey)), kid: `local-${Date.now()}`, alg: "ES256" };
		mkdirSync(DIR, { recursive: true });
		writeFileSync(KEY_FILE, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600 });
	}
	return JSON.parse(readFileSync(KEY_FILE, "utf8"));
}

/** The JWKS (public half only) the local server trusts. */
export async function localJwks() {
	const { d: _private, ...publicJwk } = await localKey();
	return JSON.stringify({ keys: [{ ...publicJwk, use: "sig" }] });
}

export async function signLocalToken(claims, expiresIn = "12h") {
	const jwk = await localKey();
	return new SignJWT(claims)
		.setProtectedHeader({ alg: "ES256", kid: jwk.kid })
		.setIssuer(LOCAL_ISSUER)
		.setAudience(LOCAL_AUDIENCE)
		.setIssuedAt()
		.setExpirationTime(expiresIn)
		.sign(await importJWK(jwk, "ES256"));
}
