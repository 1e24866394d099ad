import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bearerSecurity, forAdmins } from "../auth/middleware";
import type { AppEnv } from "../hono-env";

type AdminRouteConfig = Omit<RouteConfig, "tags" | "security" | "middleware"> & {
	/** Middleware to run after the admin check (a JSON body limit). */
	middleware?: MiddlewareHandler<AppEnv>[];
};

/**
 * Route definitions for endpoints only admins call, all under one OpenAPI tag: each states its
 * operation name (for the data point and the role check) and its own config; the tag, bearer
 * security and the admin check are added here, in the order the OpenAPI document lists them.
 */
export function adminRoutes(tags: string[]) {
	return <P extends string, R extends AdminRouteConfig & { path: P }>(
		operation: string,
		config: R,
	) =>
		createRoute({
			tags,
			security: bearerSecurity,
			...config,
			middleware: [...forAdmins(operation), ...(config.middleware ?? [])],
		});
}

/** Notes the device model a request is about for its data point; returns the params as given. */
export function forModel<T extends { code: string }>(c: Context<AppEnv>, params: T): T {
	c.get("facts").model = params.code;
	return params;
}
