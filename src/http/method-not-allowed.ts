/** What is needed of an app: the routes it has mounted. */
interface MountedRoutes {
	readonly routes: readonly { method: string; path: string }[];
}

/**
 * Hono answers an unregistered method with its not-found handler; this finds the methods a
 * path does have, so that case can be a 405 with `Allow` instead of a 404.
 */
export function allowedMethods(app: MountedRoutes, path: string): string[] {
	const methods = new Set<string>();
	for (const route of app.routes) {
		if (route.method === "ALL") continue;
		if (patternToRegExp(route.path).test(path)) methods.add(route.method);
	}
	if (methods.has("GET")) methods.add("HEAD");
	return [...methods].sort();
}

const compiled = new Map<string, RegExp>();

function patternToRegExp(pattern: string): RegExp {
	let re = compiled.get(pattern);
	if (!re) {
		const source = pattern
			.split("/")
			.map((part) =>
				part.startsWith(":")
					? "[^/]+"
					: part === "*"
						? ".*"
						: part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
			)
			.join("/");
		re = new RegExp(`^${source}/?$`);
		compiled.set(pattern, re);
	}
	return re;
}
