import { type ConsoleConfig, requestTokens, type TokenAnswer } from "./config";

/**
 * The signed-in operator's tokens, in this module's memory and nowhere else: not in
 * localStorage, sessionStorage, a cookie or a URL. Closing or reloading the tab forgets them;
 * a reload signs in again (a round trip to the provider, which remembers its own session).
 */

export type SessionState = "signed-out" | "signed-in" | "expired";

interface Tokens {
	access: string;
	refresh: string | null;
	expiresAt: number | null;
}

let config: ConsoleConfig | null = null;
let tokens: Tokens | null = null;
let state: SessionState = "signed-out";
let timer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

function setState(next: SessionState) {
	state = next;
	for (const listener of listeners) listener();
}

function schedule() {
	clearTimeout(timer);
	if (!tokens?.expiresAt) return;
	const left = tokens.expiresAt - Date.now();
	if (tokens.refresh) {
		timer = setTimeout(() => void refresh(), Math.max(5_000, left - 30_000));
	} else {
		timer = setTimeout(() => setState("expired"), Math.max(0, left));
	}
}

async function refresh(): Promise<boolean> {
	const refreshToken = tokens?.refresh;
	if (!config || !refreshToken) return false;
	refreshing ??= requestTokens(config, { grant_type: "refresh_token", refresh_token: refreshToken })
		.then((answer) => {
			session.accept(answer);
			return true;
		})
		.catch(() => {
			setState("expired");
			return false;
		})
		.finally(() => {
			refreshing = null;
		});
	return refreshing;
}

/** The claims of a JWT, read for display only (the API verifies; the console never trusts). */
function claimsOf(jwt: string): Record<string, unknown> | null {
	try {
		const part = jwt.split(".")[1] ?? "";
		const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
		return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
	} catch {
		return null;
	}
}

export const session = {
	configure(next: ConsoleConfig) {
		config = next;
	},
	state: () => state,
	subscribe(listener: () => void): () => void {
		listeners.add(listener);
		return () => listeners.delete(listener);
	},
	accessToken: () => tokens?.access ?? null,
	accept(answer: TokenAnswer) {
		tokens = {
			access: answer.access_token,
			// A provider that rotates refresh tokens sends a new one; one that does not, keeps it.
			refresh: answer.refresh_token ?? tokens?.refresh ?? null,
			expiresAt: answer.expires_in ? Date.now() + answer.expires_in * 1000 : null,
		};
		schedule();
		setState("signed-in");
	},
	/** Who is signed in, from the access token's claims (for the header only). */
	user(): { name: string } | null {
		const claims = tokens ? claimsOf(tokens.access) : null;
		if (!claims) return null;
		const name = [claims.preferred_username, claims.email, claims.name, claims.sub].find(
			(v) => typeof v === "string" && v.length > 0,
		);
		return { name: (name as string | undefined) ?? "operator" };
	},
	async refreshAfter401(): Promise<boolean> {
		return refresh();
	},
	markExpired() {
		if (state === "signed-in") setState("expired");
	},
	clear() {
		clearTimeout(timer);
		tokens = null;
		setState("signed-out");
	},
};
