import { env } from "cloudflare:workers";
import { importJWK, type JWTPayload, SignJWT } from "jose";

export const ISSUER = "https://id.test.example";
export const AUDIENCE = "ota-edge";

let key: CryptoKey | undefined;

async function signingKey(): Promise<CryptoKey> {
	if (!key) key = (await importJWK(JSON.parse(env.TEST_SIGNING_JWK ?? ""), "ES256")) as CryptoKey;
	return key;
}

/** A token signed by the key the test Worker trusts; claims and times can be overridden. */
export async function signToken(
	claims: JWTPayload = {},
	options: { expiresIn?: string | number; issuer?: string; audience?: string; kid?: string } = {},
): Promise<string> {
	return new SignJWT({ sub: "tester", ...claims })
		.setProtectedHeader({ alg: "ES256", kid: options.kid ?? "test-key-1" })
		.setIssuer(options.issuer ?? ISSUER)
		.setAudience(options.audience ?? AUDIENCE)
		.setIssuedAt()
		.setExpirationTime(options.expiresIn ?? "10m")
		.sign(await signingKey());
}

export const adminToken = () => signToken({ realm_access: { roles: ["admin"] } });
export const pipelineToken = () => signToken({ roles: ["pipeline"] });
export const deviceToken = (model: string, key: string) =>
	signToken({ azp: `iotdevice-${model}-${key}` });
