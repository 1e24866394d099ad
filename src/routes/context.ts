import type { Context } from "hono";
import type { AppEnv } from "../hono-env";

/** Work that must finish but must not delay the answer (notifications, re-storing objects). */
export function deferTo(c: Context<AppEnv>): (work: Promise<unknown>) => void {
	return (work) =>
		c.executionCtx.waitUntil(
			work.catch((err: unknown) =>
				console.error(JSON.stringify({ msg: "background work failed", error: String(err) })),
			),
		);
}

/** Counts bytes of body sent or received for the request's data point. */
export function countBytes(c: Context<AppEnv>): (bytes: number) => void {
	return (bytes) => {
		c.get("facts").bytes = bytes;
	};
}
