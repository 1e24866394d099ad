import { type HttpRequest, type HttpResponse, http } from "./node-builtins";

export interface TokenEndpoint {
	url: string;
	stop(): Promise<void>;
}

/**
 * A stand-in for an identity provider's token endpoint (OAuth 2 client credentials, the
 * credentials in the form body): one client, whose requests get the token `issue` signs.
 */
export async function startTokenEndpoint(client: {
	clientId: string;
	clientSecret: string;
	issue: () => Promise<string>;
}): Promise<TokenEndpoint> {
	const server = http.createServer((req, res) => {
		answer(req, res, client).catch(() => reply(res, 500, { error: "server_error" }));
	});
	await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
	return {
		url: `http://127.0.0.1:${server.address().port}/realms/e2e/protocol/openid-connect/token`,
		stop: () =>
			new Promise<void>((done) => {
				server.closeAllConnections?.();
				server.close(() => done());
			}),
	};
}

async function answer(
	req: HttpRequest,
	res: HttpResponse,
	client: { clientId: string; clientSecret: string; issue: () => Promise<string> },
) {
	const chunks: Uint8Array[] = [];
	req.on("data", (chunk) => chunks.push(chunk));
	await new Promise<void>((done) => req.on("end", done));
	const form = new URLSearchParams(await new Blob(chunks).text());
	if (req.method !== "POST" || form.get("grant_type") !== "client_credentials") {
		return reply(res, 400, { error: "unsupported_grant_type" });
	}
	if (
		form.get("client_id") !== client.clientId ||
		form.get("client_secret") !== client.clientSecret
	) {
		return reply(res, 401, {
			error: "invalid_client",
			error_description: "Invalid client or Invalid client credentials",
		});
	}
	reply(res, 200, { access_token: await client.issue(), token_type: "Bearer", expires_in: 600 });
}

function reply(res: HttpResponse, status: number, body: Record<string, unknown>) {
	res.writeHead(status, { "Content-Type": "application/json" });
	res.end(JSON.stringify(body));
}
