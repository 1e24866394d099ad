import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_CODES, type ErrorCode } from "./error-codes";

/** The codes answered with HTTP status `S`. */
export type CodeWithStatus<S extends number> = {
	[K in ErrorCode]: (typeof ERROR_CODES)[K][0] extends S ? K : never;
}[ErrorCode];

/**
 * The one error every layer throws. `code` is stable (clients branch on it) and registered in
 * src/error-codes.ts, which alone decides its HTTP status; `message` is a sentence safe to show
 * a person, `details` carries structured context (never internals).
 */
export class AppError extends Error {
	readonly status: ContentfulStatusCode;

	constructor(
		readonly code: ErrorCode,
		message: string,
		readonly details?: Record<string, unknown>,
		readonly headers?: Record<string, string>,
	) {
		super(message);
		this.name = "AppError";
		this.status = ERROR_CODES[code][0];
	}
}

/*
 * The classes below name a status at the throw site for the reader; the compiler holds them to
 * the registry: a code of another status does not type-check.
 */

export class BadRequest extends AppError {
	constructor(code: CodeWithStatus<400>, message: string, details?: Record<string, unknown>) {
		super(code, message, details);
	}
}

export class Unauthorized extends AppError {
	constructor(code: CodeWithStatus<401>, message: string) {
		super(code, message, undefined, { "WWW-Authenticate": 'Bearer realm="ota-edge"' });
	}
}

export class Forbidden extends AppError {
	constructor(code: CodeWithStatus<403>, message: string) {
		super(code, message);
	}
}

export class NotFound extends AppError {
	constructor(code: CodeWithStatus<404>, message: string, details?: Record<string, unknown>) {
		super(code, message, details);
	}
}

export class Conflict extends AppError {
	constructor(code: CodeWithStatus<409>, message: string, details?: Record<string, unknown>) {
		super(code, message, details);
	}
}

export class PayloadTooLarge extends AppError {
	constructor(limit: number, what: string) {
		super("PAYLOAD_TOO_LARGE", `The ${what} is larger than the limit of ${limit} bytes.`, {
			limit,
		});
	}
}

export class ServiceUnavailable extends AppError {
	constructor(code: CodeWithStatus<503>, message: string, details?: Record<string, unknown>) {
		super(code, message, details);
	}
}
