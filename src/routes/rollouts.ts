import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bearerSecurity, forAdmins } from "../auth/middleware";
import type { AppEnv } from "../hono-env";
import { jsonBodyLimit } from "../http/json-body-limit";
import { errorResponses, jsonContent, ModelCodeParam } from "../schemas/common";
import {
	FleetSchema,
	PatchRolloutSchema,
	RolloutEventList,
	RolloutIdParams,
	RolloutList,
	RolloutSchema,
	StartRolloutSchema,
} from "../schemas/rollouts";
import { fleetOf } from "../services/fleet";
import {
	abortRollout,
	completeRollout,
	pauseRollout,
	resumeRollout,
	setRolloutPercent,
} from "../services/rollout-changes";
import { currentRollout, rolloutEvents, rolloutHistory, startRollout } from "../services/rollouts";
import { deferTo } from "./context";
import { createRouter } from "./router";

const tags = ["Rollouts"];
const base = "/api/device-models/{code}/rollouts";
const jsonBody = <T>(schema: T) => ({
	required: true,
	content: { "application/json": { schema } },
});

/** Who changed a rollout, for its events: the token's subject. */
const actorOf = (c: Context<AppEnv>) => c.get("principal").subject;

/** POST …/rollouts/current/{pause|resume|complete|abort}: one route each, for the document. */
function actionRoute(
	action: "pause" | "resume" | "complete" | "abort",
	summary: string,
	run: typeof pauseRollout,
) {
	return [
		createRoute({
			method: "post",
			path: `${base}/current/${action}`,
			tags,
			security: bearerSecurity,
			summary,
			middleware: forAdmins(`${action}_rollout`),
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(RolloutSchema, "The rollout after the change"),
				...errorResponses(400, 401, 403, 404, 409),
			},
		}),
		async (c: Context<AppEnv>) => {
			// The route's params schema has already checked the code.
			const code = c.req.param("code") as string;
			c.get("facts").model = code;
			return c.json(await run(c.env, code, actorOf(c), deferTo(c)), 200);
		},
	] as const;
}

export const rolloutRoutes = createRouter()
	.openapi(
		createRoute({
			method: "post",
			path: base,
			tags,
			security: bearerSecurity,
			summary: "Start a rollout from the current version to a stored one",
			middleware: [...forAdmins("start_rollout"), jsonBodyLimit],
			request: { params: ModelCodeParam, body: jsonBody(StartRolloutSchema) },
			responses: {
				201: jsonContent(RolloutSchema, "The rollout, open"),
				...errorResponses(400, 401, 403, 404, 409, 413),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			const rollout = await startRollout(c.env, code, c.req.valid("json"), actorOf(c), deferTo(c));
			return c.json(rollout, 201);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: base,
			tags,
			security: bearerSecurity,
			summary: "The model's rollouts, newest first",
			middleware: forAdmins("list_rollouts"),
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(RolloutList, "The rollouts"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			const rollouts = await rolloutHistory(c.env.DB, code);
			return c.json({ rollouts, count: rollouts.length }, 200);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/current`,
			tags,
			security: bearerSecurity,
			summary: "The model's open rollout",
			middleware: forAdmins("get_rollout"),
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(RolloutSchema, "The open rollout"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			return c.json(await currentRollout(c.env.DB, code), 200);
		},
	)
	.openapi(
		createRoute({
			method: "patch",
			path: `${base}/current`,
			tags,
			security: bearerSecurity,
			summary: "Change the open rollout's percentage (or its guard)",
			middleware: [...forAdmins("update_rollout"), jsonBodyLimit],
			request: { params: ModelCodeParam, body: jsonBody(PatchRolloutSchema) },
			responses: {
				200: jsonContent(RolloutSchema, "The rollout after the change"),
				...errorResponses(400, 401, 403, 404, 409, 413),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			const rollout = await setRolloutPercent(
				c.env,
				code,
				c.req.valid("json"),
				actorOf(c),
				deferTo(c),
			);
			return c.json(rollout, 200);
		},
	)
	.openapi(...actionRoute("pause", "Pause the open rollout: its steps wait", pauseRollout))
	.openapi(...actionRoute("resume", "Resume a paused or halted rollout", resumeRollout))
	.openapi(
		...actionRoute(
			"complete",
			"Complete the open rollout: its version becomes current for every device",
			completeRollout,
		),
	)
	.openapi(
		...actionRoute(
			"abort",
			"Abort the open rollout: every device returns to the baseline",
			abortRollout,
		),
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/{id}/events`,
			tags,
			security: bearerSecurity,
			summary: "Every change of one rollout, oldest first",
			middleware: forAdmins("list_rollout_events"),
			request: { params: RolloutIdParams },
			responses: {
				200: jsonContent(RolloutEventList, "The events"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, id } = c.req.valid("param");
			c.get("facts").model = code;
			const events = await rolloutEvents(c.env.DB, code, id);
			return c.json({ events, count: events.length }, 200);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/device-models/{code}/fleet",
			tags,
			security: bearerSecurity,
			summary:
				"Devices per reported version and state, not seen for 1/7/30 days, crashes per version",
			middleware: forAdmins("get_fleet"),
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(FleetSchema, "The model's fleet"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			return c.json(await fleetOf(c.env.DB, code), 200);
		},
	);
