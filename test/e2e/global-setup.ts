import type { ProvidedContext } from "vitest";
import { testKeys } from "../helpers/keys-node";
import { signToken, startWorker, varsFromEnvironment } from "./harness";
import { startTokenEndpoint } from "./token-endpoint";

/** The part of vitest's TestProject a global setup uses. */
interface SetupProject {
	provide<K extends keyof ProvidedContext & string>(key: K, value: ProvidedContext[K]): void;
}

/**
 * One Worker under `wrangler dev` for the e2e project (see harness.ts), trusting a fresh key, with
 * OIDC_TOKEN_URL naming a stand-in token endpoint that grants one client the pipeline role.
 */
export default async function setup(project: SetupProject) {
	const keys = await testKeys();
	const signingJwk = JSON.stringify(keys.privateJwk);
	const clientId = "ci-e2e";
	// Characters a form body must encode, so a client that does not encode them fails.
	const clientSecret = `s3cr&t=+/% "'${crypto.randomUUID()}`;
	const tokenEndpoint = await startTokenEndpoint({
		clientId,
		clientSecret,
		issue: () => signToken({ azp: clientId, roles: ["pipeline"] }, signingJwk),
	});
	try {
		const worker = await startWorker({
			publicJwk: keys.publicJwk,
			vars: { OIDC_TOKEN_URL: tokenEndpoint.url, ...varsFromEnvironment() },
		});
		project.provide("e2eBaseUrl", worker.baseUrl);
		project.provide("e2eSigningJwk", signingJwk);
		project.provide("e2eTokenUrl", tokenEndpoint.url);
		project.provide("e2eClientId", clientId);
		project.provide("e2eClientSecret", clientSecret);
		return async () => {
			await worker.stop();
			await tokenEndpoint.stop();
		};
	} catch (err) {
		await tokenEndpoint.stop();
		throw err;
	}
}
