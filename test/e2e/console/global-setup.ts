import type { ProvidedContext } from "vitest";
import { startLocalIdp } from "../../../scripts/local-idp.mjs";
import { testKeys } from "../../helpers/keys-node";
import { startWorker } from "../harness";

export const CONSOLE_CLIENT_ID = "ota-edge-console";
export const CONSOLE_AUDIENCE = "ota-edge";

interface SetupProject {
	provide<K extends keyof ProvidedContext & string>(key: K, value: ProvidedContext[K]): void;
}

/**
 * The console's world for the browser tests: the local OpenID provider `npm start` runs
 * (scripts/local-idp.mjs), with a fresh key, and a Worker under `wrangler dev` that trusts it
 * and names it as the console's sign-in.
 */
export default async function setup(project: SetupProject) {
	const keys = await testKeys();
	const idp = await startLocalIdp({
		signingJwk: keys.privateJwk,
		clientId: CONSOLE_CLIENT_ID,
		audience: CONSOLE_AUDIENCE,
	});
	try {
		const worker = await startWorker({
			publicJwk: keys.publicJwk,
			vars: { OIDC_ISSUER: idp.issuer, OIDC_CONSOLE_CLIENT_ID: CONSOLE_CLIENT_ID },
		});
		project.provide("consoleBaseUrl", worker.baseUrl);
		project.provide("consoleIssuer", idp.issuer);
		project.provide("consoleSigningJwk", JSON.stringify(keys.privateJwk));
		return async () => {
			await worker.stop();
			await idp.stop();
		};
	} catch (err) {
		await idp.stop();
		throw err;
	}
}
