import { app } from "./app";
import type { Env } from "./env";
import { handleQueue } from "./queue";
import { runScheduled } from "./scheduled";
import { crashDecoder } from "./services/crash-decoder";

export default {
	fetch: app.fetch,
	// Core dump analysis (SPEC §10) and the MQTT fan-out (SPEC §13).
	queue: (batch, env, _ctx) => handleQueue(batch, env, crashDecoder),
	// Rollout steps, the crash guard, the object sweep and overdue analyses.
	scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>;
