import type { Context } from "hono";
import type { AppEnv } from "../hono-env";
import type { BinaryAnswer, ImageConditions } from "../services/binary-answer";

/** The conditions an image download states in its request line and headers. */
export function imageConditions(request: Request): ImageConditions {
	return {
		headersOnly: request.method === "HEAD",
		ifNoneMatch: request.headers.get("if-none-match"),
		range: request.headers.get("range"),
		ifRange: request.headers.get("if-range"),
	};
}

/** Sends a service's download decision, counting the body's bytes for the request's metrics. */
export function sendBinary(c: Context<AppEnv>, answer: BinaryAnswer) {
	if (answer.body === null) return c.body(null, answer.status, answer.headers);
	c.get("facts").bytes = Number(answer.headers["content-length"]);
	return c.body(answer.body, answer.status, answer.headers);
}
