import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forDevices } from "../auth/middleware";
import { limitsOf } from "../env";
import { uploadBodyOf } from "../http/upload-body";
import { errorResponses, jsonContent } from "../schemas/common";
import { CoredumpUploaded, CoredumpUploadQuery, coredumpUploadBody } from "../schemas/coredumps";
import { uploadCoredump } from "../services/coredump-upload";
import { createRouter } from "./router";

/**
 * A device reporting a crash. Auth and the query parameters are checked by the middleware and
 * validators before the service looks at the rate limit and, last, the body.
 */
export const coredumpDeviceRoutes = createRouter().openapi(
	createRoute({
		method: "post",
		path: "/api/iot/coredump",
		tags: ["Devices (core dumps)"],
		security: bearerSecurity,
		summary: "Upload a core dump after a crash",
		description:
			"Stores the raw core dump with its chip and firmware version. Keeps the device's newest COREDUMP_KEEP_PER_DEVICE dumps; a device that uploads too often gets 429 with Retry-After.",
		middleware: forDevices("iot_upload_coredump"),
		request: { query: CoredumpUploadQuery, body: coredumpUploadBody },
		responses: {
			201: jsonContent(CoredumpUploaded, "Stored"),
			...errorResponses(400, 401, 403, 404, 413, 429, 500),
		},
	}),
	async (c) => {
		const stored = await uploadCoredump(
			c.env,
			limitsOf(c.env),
			c.get("device"),
			c.req.valid("query"),
			uploadBodyOf(c.req.raw),
		);
		c.get("facts").bytes = stored.size;
		return c.json({ status: "ok" as const, filename: stored.filename, id: stored.id }, 201);
	},
);
