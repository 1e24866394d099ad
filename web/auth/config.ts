import { ApiError, errorOf } from "../api/client";

/** What `/console/config.json` says: the provider and the console's public client. */
export interface ConsoleConfig {
	issuer: string;
	client_id: string;
	scope: string;
	authorization_endpoint: string;
	end_session_endpoint: string | null;
	/** Same-origin: the Worker relays token requests to the provider. */
	token_endpoint: string;
	redirect_path: string;
}

/** The provider's token answer, as the Worker's relay passes it on. */
export interface TokenAnswer {
	access_token: string;
	token_type: string;
	expires_in: number | null;
	refresh_token: string | null;
	id_token: string | null;
	scope: string | null;
}

export async function loadConfig(): Promise<ConsoleConfig> {
	let res: Response;
	try {
		res = await fetch("/console/config.json", { cache: "no-store" });
	} catch {
		throw new ApiError(0, "NETWORK_ERROR", "The server could not be reached.");
	}
	if (!res.ok) throw await errorOf(res);
	return (await res.json()) as ConsoleConfig;
}

/** A token request (code exchange or refresh) through the Worker's relay. */
export async function requestTokens(
	config: ConsoleConfig,
	fields: Record<string, string>,
): Promise<TokenAnswer> {
	let res: Response;
	try {
		res = await fetch(config.token_endpoint, {
			method: "POST",
			headers: { "content-type": "application/x-www-form-urlencoded" },
			body: new URLSearchParams({ client_id: config.client_id, ...fields }),
			cache: "no-store",
		});
	} catch {
		throw new ApiError(0, "NETWORK_ERROR", "The server could not be reached.");
	}
	if (!res.ok) throw await errorOf(res);
	return (await res.json()) as TokenAnswer;
}
