import { type ConsoleConfig, requestTokens } from "./config";
import { challengeOf, randomToken } from "./pkce";
import { session } from "./session";

/**
 * OIDC authorization code flow with PKCE, as a public client.
 *
 * While the browser is away at the provider, the request's state, nonce, PKCE verifier and
 * the page to return to wait in sessionStorage (this tab only, gone when it closes; the
 * verifier is useless without the code, which only the provider's redirect brings). They are
 * removed the moment the provider comes back. Tokens themselves never touch storage.
 */

const PENDING = "ota-edge.sign-in";
/** "This tab was signed in": a reload signs in again by itself. Holds no secret. */
const RESUME = "ota-edge.resume";

interface Pending {
	state: string;
	nonce: string;
	verifier: string;
	returnTo: string;
}

export class SignInError extends Error {
	override name = "SignInError";
}

const redirectUri = (config: ConsoleConfig) => `${location.origin}${config.redirect_path}`;

/** Only a path of this console: never a way to send the operator elsewhere after sign-in. */
export function safeReturnPath(path: string | null | undefined): string {
	const local = path?.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\");
	return local && path ? path : "/";
}

export async function beginSignIn(config: ConsoleConfig, returnTo: string): Promise<void> {
	const pending: Pending = {
		state: randomToken(16),
		nonce: randomToken(16),
		verifier: randomToken(32),
		returnTo: safeReturnPath(returnTo),
	};
	sessionStorage.setItem(PENDING, JSON.stringify(pending));
	const url = new URL(config.authorization_endpoint);
	url.searchParams.set("response_type", "code");
	url.searchParams.set("client_id", config.client_id);
	url.searchParams.set("redirect_uri", redirectUri(config));
	url.searchParams.set("scope", config.scope);
	url.searchParams.set("state", pending.state);
	url.searchParams.set("nonce", pending.nonce);
	url.searchParams.set("code_challenge", await challengeOf(pending.verifier));
	url.searchParams.set("code_challenge_method", "S256");
	location.assign(url.href);
}

/**
 * The provider's redirect back: the code leaves the address bar before anything else happens,
 * then is exchanged (with the verifier) for tokens kept in memory. Returns the page to show.
 */
export async function completeSignIn(config: ConsoleConfig): Promise<string> {
	const params = new URLSearchParams(location.search);
	history.replaceState(null, "", "/");
	sessionStorage.removeItem(RESUME);
	const raw = sessionStorage.getItem(PENDING);
	sessionStorage.removeItem(PENDING);
	const pending = raw ? (JSON.parse(raw) as Pending) : null;
	const error = params.get("error");
	if (error) {
		const description = params.get("error_description");
		throw new SignInError(
			`The identity provider did not sign you in (${error}${description ? `: ${description}` : ""}).`,
		);
	}
	const code = params.get("code");
	if (!pending || !code || params.get("state") !== pending.state) {
		throw new SignInError(
			"This sign-in answer does not belong to a sign-in started in this tab. Sign in again.",
		);
	}
	const answer = await requestTokens(config, {
		grant_type: "authorization_code",
		code,
		code_verifier: pending.verifier,
		redirect_uri: redirectUri(config),
	});
	session.configure(config);
	session.accept(answer);
	sessionStorage.setItem(RESUME, "1");
	return pending.returnTo;
}

export const isCallback = (config: ConsoleConfig) => location.pathname === config.redirect_path;
export const shouldResume = () => sessionStorage.getItem(RESUME) === "1";

/** Forgets the tokens, then ends the provider's session too when it offers that. */
export function signOut(config: ConsoleConfig): void {
	sessionStorage.removeItem(RESUME);
	session.clear();
	if (config.end_session_endpoint) {
		const url = new URL(config.end_session_endpoint);
		url.searchParams.set("client_id", config.client_id);
		url.searchParams.set("post_logout_redirect_uri", `${location.origin}/`);
		location.assign(url.href);
	}
}
