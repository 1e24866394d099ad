import { app } from "./app";
import type { Env } from "./env";
import { handleQueue } from "./queue-handler";
import { runScheduled } from "./scheduled";
import { crashDecoder } from "./services/crash-decoder";

export default {
	fetch: app.fetch,
	queue: (batch, env) => handleQueue(batch, env, crashDecoder),
	scheduled: (controller, env) => runScheduled(env, new Date(controller.scheduledTime)),
} satisfies ExportedHandler<Env>;
