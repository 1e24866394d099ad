import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./hono-env";

export const app = new OpenAPIHono<AppEnv>();
app.get("/api/health", (c) => c.json({ status: "ok" }));
