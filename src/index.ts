import { app } from "./app";
import type { Env } from "./env";
import { handleQueue } from "./queue";
import { runScheduled } from "./scheduled";

export default {
	fetch: app.fetch,
	// Rollouts (SPEC §13): the MQTT fan-out queue and the scheduled run.
	queue: (batch, env, _ctx) => handleQueue(batch, env),
	scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>;
