import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ErrorCode } from "../error-codes";
import { AppError } from "../errors";
import type { AppEnv } from "../hono-env";

/** The framework's own refusals (JSON body parsing and limits), as registered codes. */
const HTTP_EXCEPTION_CODES: Record<number, [ErrorCode, string]> = {
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
		appError ?? new AppError("INTERNAL_ERROR", "Something went wrong on our side.");
	c.get("facts").code = code;
	for (const [name, value] of Object.entries(headers ?? {})) c.header(name, value);
	const body = details ? { error: message, code, details } : { error: message, code };
	return c.json(body, status);
}

function toAppError(err: Error): AppError | null {
	if (err instanceof AppError) return err;
	// Any other framework refusal is unexpected: logged and answered as one, never with a code
	// that is not registered.
	const known = err instanceof HTTPException ? HTTP_EXCEPTION_CODES[err.status] : undefined;
	return known ? new AppError(...known) : null;
}
