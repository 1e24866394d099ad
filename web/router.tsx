import type { Child } from "hono/jsx";
import { useSyncExternalStore } from "hono/jsx/dom";

/**
 * History-API routing: real paths (/models/thermo_v2) that can be bookmarked and shared, each
 * served the console's page by the Worker. Links navigate without reloading, so the token held
 * in memory stays.
 */

const listeners = new Set<() => void>();
let moved = false;
const notify = () => {
	for (const listener of listeners) listener();
};
window.addEventListener("popstate", () => {
	moved = true;
	notify();
});

/**
 * Shows `to`. `initial` marks the first page of a load (after sign-in): focus then stays at the
 * start of the document, as on any page load; after a move within the console it goes to the
 * new page's heading.
 */
export function navigate(to: string, options: { replace?: boolean; initial?: boolean } = {}): void {
	if (options.replace) history.replaceState(null, "", to);
	else history.pushState(null, "", to);
	if (!options.initial) moved = true;
	notify();
}

/** Whether the operator has moved within the console since the page loaded. */
export const hasMoved = () => moved;

const snapshot = () => location.pathname + location.search;

export function useLocation(): { path: string; query: URLSearchParams; href: string } {
	const href = useSyncExternalStore((listener) => {
		listeners.add(listener);
		return () => listeners.delete(listener);
	}, snapshot);
	const url = new URL(href, location.origin);
	return { path: url.pathname, query: url.searchParams, href };
}

/** Named parameters of `pattern` (`/models/:code`) in `path`, decoded; null when it differs. */
export function match(pattern: string, path: string): Record<string, string> | null {
	if (pattern === "/") return path === "/" ? {} : null;
	const want = pattern.split("/");
	const got = path.replace(/\/+$/, "").split("/");
	if (want.length !== got.length) return null;
	const params: Record<string, string> = {};
	for (let i = 0; i < want.length; i++) {
		const w = want[i] as string;
		const g = got[i] as string;
		if (w.startsWith(":")) {
			if (!g) return null;
			try {
				params[w.slice(1)] = decodeURIComponent(g);
			} catch {
				return null;
			}
		} else if (w !== g) return null;
	}
	return params;
}

export function Link(props: { href: string; class?: string; children?: Child; label?: string }) {
	const onClick = (event: MouseEvent) => {
		if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
			return;
		}
		event.preventDefault();
		navigate(props.href);
	};
	return (
		<a href={props.href} class={props.class} aria-label={props.label} onClick={onClick}>
			{props.children}
		</a>
	);
}
