/**
 * The one HTML document of the operator console. Every page is this shell; the browser code in
 * /assets/console.js (built from web/) renders the page for the path and calls the JSON API.
 * No inline script or style anywhere, so the policy below needs no 'unsafe-inline' or hashes.
 */

/** Paths the console answers with its page (the browser's router knows the rest). */
export const CONSOLE_PAGES = ["/", "/models/*", "/devices", "/devices/*", "/signin/callback"];

/**
 * Everything is same-origin: scripts and styles from /assets, API and token calls to this
 * Worker (the token relay keeps the identity provider out of connect-src). Sign-in leaves the
 * page by navigation, which no directive here restricts. Trusted Types with no policy make
 * every HTML-from-string sink throw, so API data can only ever become text.
 */
export const CONTENT_SECURITY_POLICY = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self'",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
	"require-trusted-types-for 'script'",
	"trusted-types 'none'",
].join("; ");

export const PAGE_HEADERS: Record<string, string> = {
	"Content-Type": "text/html; charset=utf-8",
	"Content-Security-Policy": CONTENT_SECURITY_POLICY,
	// The callback URL carries the authorization code until the page removes it: never send
	// it anywhere as a Referer.
	"Referrer-Policy": "no-referrer",
	"X-Content-Type-Options": "nosniff",
	"X-Frame-Options": "DENY",
	"Cross-Origin-Opener-Policy": "same-origin",
	"Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
	"Cache-Control": "no-store",
};

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>ota-edge console</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/console.css">
<script type="module" src="/assets/console.js"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the console…</p></div>
<noscript><p class="boot">The ota-edge console needs JavaScript. The API itself is described at <a href="/api/openapi.json">/api/openapi.json</a>.</p></noscript>
</body>
</html>
`;

export function consolePage(method: string): Response {
	return new Response(method === "HEAD" ? null : HTML, { headers: PAGE_HEADERS });
}
