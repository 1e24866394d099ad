import { notConfigured } from "../auth/key-set";
import type { Env } from "../env";
import { ServiceUnavailable } from "../errors";
import { type ProviderEndpoints, providerEndpoints } from "./discovery";

/** Where the provider sends the browser back with the authorization code. */
export const CALLBACK_PATH = "/signin/callback";
/** The console's token requests go through the Worker (see token-relay.ts). */
export const TOKEN_RELAY_PATH = "/console/token";

export interface ConsoleSignIn {
	issuer: string;
	clientId: string;
	scope: string;
	endpoints: ProviderEndpoints;
}

/**
 * The console's sign-in settings: the issuer the API trusts, the console's public client and
 * the provider's endpoints. Closed (503) until both the issuer and the client are configured.
 */
export async function consoleSignIn(env: Env): Promise<ConsoleSignIn> {
	const issuer = env.OIDC_ISSUER?.trim();
	if (!issuer) throw notConfigured();
	const clientId = env.OIDC_CONSOLE_CLIENT_ID?.trim();
	if (!clientId) {
		throw new ServiceUnavailable(
			"CONSOLE_NOT_CONFIGURED",
			"Console sign-in is not configured on this server: set OIDC_CONSOLE_CLIENT_ID to the console's OIDC client.",
		);
	}
	const scope = env.OIDC_CONSOLE_SCOPE?.trim() || "openid profile";
	return { issuer, clientId, scope, endpoints: await providerEndpoints(issuer) };
}

/** What `/console/config.json` tells the browser: nothing secret, everything public. */
export function publicConfig(signIn: ConsoleSignIn) {
	return {
		issuer: signIn.issuer,
		client_id: signIn.clientId,
		scope: signIn.scope,
		authorization_endpoint: signIn.endpoints.authorizationEndpoint,
		end_session_endpoint: signIn.endpoints.endSessionEndpoint,
		token_endpoint: TOKEN_RELAY_PATH,
		redirect_path: CALLBACK_PATH,
	};
}
