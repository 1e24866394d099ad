import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../errors";
import type { AppEnv } from "../hono-env";

const HTTP_EXCEPTION_CODES: Record<number, [string, string]> = {
	400: ["INVALID_JSON", "The request body is not valid JSON."],
	413: ["PAYLOAD_TOO_LARGE", "The request body is too large."],
	415: ["UNSUPPORTED_MEDIA_TYPE", "The request body must be application/json."],
};

/**
 * The one error envelope of SPEC §4. Built with `c.json` so headers set earlier survive.
 * Anything that is not an AppError is logged in full and answered with a generic 500:
 * internal messages never reach a client.
 */
export function errorResponse(err: Error, c: Context<AppEnv>): Response {
	const appError = toAppError(err);
	if (!appError) {
		console.error(
			JSON.stringify({ msg: "unhandled error", error: String(err), stack: err.stack ?? "" }),
		);
	}
	const { status, code, message, details, headers } =
		appError ?? new AppError(500, "INTERNAL_ERROR", "Something went wrong on our side.");
	c.get("facts").code = code;
	for (const [name, value] of Object.entries(headers ?? {})) c.header(name, value);
	const body = details ? { error: message, code, details } : { error: message, code };
	return c.json(body, status);
}

function toAppError(err: Error): AppError | null {
	if (err instanceof AppError) return err;
	if (err instanceof HTTPException) {
		const [code, message] = HTTP_EXCEPTION_CODES[err.status] ?? [
			`HTTP_${err.status}`,
			err.message || "The request could not be handled.",
		];
		return new AppError(err.status as ContentfulStatusCode, code, message);
	}
	return null;
}
