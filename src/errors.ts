import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error every layer throws. `code` is stable (clients branch on it), `message` is a
 * sentence safe to show a person, `details` carries structured context (never internals).
 */
export class AppError extends Error {
	constructor(
		readonly status: ContentfulStatusCode,
		readonly code: string,
		message: string,
		readonly details?: Record<string, unknown>,
		readonly headers?: Record<string, string>,
	) {
		super(message);
		this.name = "AppError";
	}
}

export class BadRequest extends AppError {
	constructor(code: string, message: string, details?: Record<string, unknown>) {
		super(400, code, message, details);
	}
}

export class Unauthorized extends AppError {
	constructor(code: string, message: string) {
		super(401, code, message, undefined, { "WWW-Authenticate": 'Bearer realm="ota-edge"' });
	}
}

export class Forbidden extends AppError {
	constructor(code: string, message: string) {
		super(403, code, message);
	}
}

export class NotFound extends AppError {
	constructor(code: string, message: string, details?: Record<string, unknown>) {
		super(404, code, message, details);
	}
}

export class Conflict extends AppError {
	constructor(code: string, message: string, details?: Record<string, unknown>) {
		super(409, code, message, details);
	}
}

export class PayloadTooLarge extends AppError {
	constructor(limit: number, what: string) {
		super(413, "PAYLOAD_TOO_LARGE", `The ${what} is larger than the limit of ${limit} bytes.`, {
			limit,
		});
	}
}

export class ServiceUnavailable extends AppError {
	constructor(code: string, message: string, details?: Record<string, unknown>) {
		super(503, code, message, details);
	}
}
