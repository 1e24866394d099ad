import { OpenAPIHono } from "@hono/zod-openapi";
import { BadRequest } from "../errors";
import type { AppEnv } from "../hono-env";

/**
 * A sub-app whose request validation failures become the one error envelope (SPEC §4):
 * 400 VALIDATION_FAILED naming each field and what is wrong with it.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
	return new OpenAPIHono<AppEnv>({
		defaultHook: (result) => {
			if (result.success) return;
			const issues = result.error.issues.map((issue) => ({
				field: issue.path.join(".") || result.target,
				message: issue.message,
			}));
			const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
			throw new BadRequest("VALIDATION_FAILED", `The request is not valid (${summary}).`, {
				location: result.target,
				issues,
			});
		},
	});
}
