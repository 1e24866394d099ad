import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent } from "../schemas/common";
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
		const [d1, r2] = await Promise.all([
			probe(() => c.env.DB.prepare("SELECT 1").first()),
			probe(() => c.env.BLOBS.head("health-probe")),
		]);
		if (d1.ok && r2.ok) return c.json({ status: "ok" as const }, 200);
		return c.json({ status: "unavailable" as const, checks: { d1, r2 } }, 503);
	},
);

async function probe(check: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
	try {
		await check();
		return { ok: true };
	} catch (err) {
		// The reason stays in the logs: storage errors never reach a client.
		console.error(JSON.stringify({ msg: "health check failed", error: String(err) }));
		return { ok: false, error: "not answering" };
	}
}
