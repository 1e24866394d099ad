import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { operation } from "../auth/middleware";
import type { AppEnv } from "../hono-env";
import { renderUploadScript, stripUnprintable, type UploadScriptKind } from "../lib/upload-script";
import { createRouter } from "./router";

const CONTENT_TYPES: Record<UploadScriptKind, string> = {
	sh: "text/x-shellscript; charset=utf-8",
	ps1: "text/plain; charset=utf-8",
};
const tags = ["Pipeline"];

/**
 * The public base URL: the configured one, else the origin the request reached. Forwarding
 * headers (X-Forwarded-*, Forwarded) are never read: anyone can send them.
 */
function baseUrlOf(c: Context<AppEnv>): string {
	const configured = stripUnprintable(c.env.PUBLIC_BASE_URL ?? "")
		.trim()
		.replace(/\/+$/, "");
	return configured || new URL(c.req.url).origin;
}

function serve(c: Context<AppEnv>, kind: UploadScriptKind) {
	const script = renderUploadScript(kind, {
		baseUrl: baseUrlOf(c),
		tokenUrl: stripUnprintable(c.env.OIDC_TOKEN_URL ?? "").trim(),
	});
	return c.body(script, 200, {
		"Content-Type": CONTENT_TYPES[kind],
		"Cache-Control": "no-cache",
		"X-Content-Type-Options": "nosniff",
	});
}

const scriptRoute = (kind: UploadScriptKind, summary: string) =>
	createRoute({
		method: "get",
		path: `/api/pipeline/upload.${kind}`,
		tags,
		summary,
		middleware: [operation(`get_upload_script_${kind}`)],
		responses: {
			200: {
				description: `upload.${kind}, with this server's base URL and token URL filled in`,
				content: { [CONTENT_TYPES[kind].split(";")[0] as string]: { schema: z.string() } },
			},
		},
	});

export const uploadScriptRoutes = createRouter()
	.openapi(scriptRoute("sh", "The CI upload script for POSIX sh (public)"), (c) => serve(c, "sh"))
	.openapi(scriptRoute("ps1", "The CI upload script for PowerShell 5.1 and 7 (public)"), (c) =>
		serve(c, "ps1"),
	);
