import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent } from "../schemas/common";
import { checkStorage } from "../services/health";
import { createRouter } from "./router";

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });
const Health = z
	.object({
		status: z.enum(["ok", "unavailable"]),
		checks: z.object({ d1: Check, r2: Check }).optional(),
	})
	.openapi("Health");

export const healthRoutes = createRouter().openapi(
	createRoute({
		method: "get",
		path: "/api/health",
		summary: "Liveness of the Worker and its storage (public)",
		responses: {
			200: jsonContent(Health, "D1 and R2 answer"),
			503: jsonContent(Health, "A storage check failed"),
		},
	}),
	async (c) => {
		const health = await checkStorage(c.env);
		if (health.ok) return c.json({ status: "ok" as const }, 200);
		return c.json({ status: "unavailable" as const, checks: health.checks }, 503);
	},
);
