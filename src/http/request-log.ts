import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../hono-env";
import { recordDataPoint } from "../metrics";

/**
 * Outermost middleware: one structured JSON log line per request (method, route pattern,
 * status, duration, operation — never a header, token or query string) and, for named
 * operations, one Analytics Engine data point (SPEC §9).
 */
export const requestLog: MiddlewareHandler<AppEnv> = async function requestLog(c, next) {
	const started = Date.now();
	c.set("facts", {});
	await next();
	const facts = c.get("facts");
	const durationMs = Date.now() - started;
	const status = c.res.status;
	console.log(
		JSON.stringify({
			method: c.req.method,
			route: facts.route ?? routePattern(c),
			status,
			duration_ms: durationMs,
			operation: facts.operation ?? null,
			code: facts.code ?? null,
			model: facts.model ?? null,
		}),
	);
	if (facts.operation) {
		recordDataPoint(c.env, {
			operation: facts.operation,
			// Every error answer comes from errorResponse, which names its code.
			status: facts.code ?? (status < 400 ? "ok" : "INTERNAL_ERROR"),
			model: facts.model,
			durationMs,
			bytes: facts.bytes,
			httpStatus: status,
		});
	}
};

/**
 * The pattern of the route that answered, for requests of no named operation (the health check,
 * the OpenAPI document); "unmatched" when only this middleware's own `*` matched.
 */
function routePattern(c: Context<AppEnv>): string {
	const pattern = routePath(c, -1);
	return pattern && pattern !== "/*" ? pattern : "unmatched";
}
