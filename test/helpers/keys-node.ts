import { exportJWK, generateKeyPair } from "jose";

/** A fresh ES256 key pair for one test run: the public half is trusted, the private half signs. */
export async function testKeys() {
	const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
	const kid = "test-key-1";
	const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
	const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
	return { publicJwk, privateJwk };
}
