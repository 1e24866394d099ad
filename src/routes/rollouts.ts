import type { Context } from "hono";
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
import { adminRoutes, forModel } from "./admin-route";
import { deferTo } from "./context";
import { createRouter } from "./router";

const route = adminRoutes(["Rollouts"]);
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
		route(`${action}_rollout`, {
			method: "post",
			path: `${base}/current/${action}`,
			summary,
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
		route("start_rollout", {
			method: "post",
			path: base,
			summary: "Start a rollout from the current version to a stored one",
			middleware: [jsonBodyLimit],
			request: { params: ModelCodeParam, body: jsonBody(StartRolloutSchema) },
			responses: {
				201: jsonContent(RolloutSchema, "The rollout, open"),
				...errorResponses(400, 401, 403, 404, 409, 413),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			const rollout = await startRollout(c.env, code, c.req.valid("json"), actorOf(c), deferTo(c));
			return c.json(rollout, 201);
		},
	)
	.openapi(
		route("list_rollouts", {
			method: "get",
			path: base,
			summary: "The model's rollouts, newest first",
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(RolloutList, "The rollouts"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			const rollouts = await rolloutHistory(c.env.DB, code);
			return c.json({ rollouts, count: rollouts.length }, 200);
		},
	)
	.openapi(
		route("get_rollout", {
			method: "get",
			path: `${base}/current`,
			summary: "The model's open rollout",
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(RolloutSchema, "The open rollout"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			return c.json(await currentRollout(c.env.DB, code), 200);
		},
	)
	.openapi(
		route("update_rollout", {
			method: "patch",
			path: `${base}/current`,
			summary: "Change the open rollout's percentage (or its guard)",
			middleware: [jsonBodyLimit],
			request: { params: ModelCodeParam, body: jsonBody(PatchRolloutSchema) },
			responses: {
				200: jsonContent(RolloutSchema, "The rollout after the change"),
				...errorResponses(400, 401, 403, 404, 409, 413),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
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
		route("list_rollout_events", {
			method: "get",
			path: `${base}/{id}/events`,
			summary: "Every change of one rollout, oldest first",
			request: { params: RolloutIdParams },
			responses: {
				200: jsonContent(RolloutEventList, "The events"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, id } = forModel(c, c.req.valid("param"));
			const events = await rolloutEvents(c.env.DB, code, id);
			return c.json({ events, count: events.length }, 200);
		},
	)
	.openapi(
		route("get_fleet", {
			method: "get",
			path: "/api/device-models/{code}/fleet",
			summary:
				"Devices per reported version and state, not seen for 1/7/30 days, crashes per version",
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(FleetSchema, "The model's fleet"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			return c.json(await fleetOf(c.env.DB, code), 200);
		},
	);
