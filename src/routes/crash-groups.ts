import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forAdmins } from "../auth/middleware";
import { errorResponses, jsonContent, ModelCodeParam } from "../schemas/common";
import {
	CrashGroupDetail,
	CrashGroupList,
	CrashGroupParams,
	CrashGroupQuery,
} from "../schemas/crash-groups";
import { getModelCrash, listModelCrashes } from "../services/crash-groups";
import { createRouter } from "./router";

const tags = ["Crash groups"];
const base = "/api/device-models/{code}/crashes";

export const crashGroupRoutes = createRouter()
	.openapi(
		createRoute({
			method: "get",
			path: base,
			tags,
			security: bearerSecurity,
			summary: "A model's crash groups, most recently seen first",
			description:
				"With `firmware_version` or `since`, only matching dumps count: the counts, versions and times are theirs.",
			middleware: forAdmins("list_crash_groups"),
			request: { params: ModelCodeParam, query: CrashGroupQuery },
			responses: {
				200: jsonContent(CrashGroupList, "The crash groups"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			const crashes = await listModelCrashes(c.env.DB, code, c.req.valid("query"));
			return c.json({ crashes, count: crashes.length }, 200);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/{signature}`,
			tags,
			security: bearerSecurity,
			summary: "One crash group with its recent dumps",
			middleware: forAdmins("get_crash_group"),
			request: { params: CrashGroupParams },
			responses: {
				200: jsonContent(CrashGroupDetail, "The crash group"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, signature } = c.req.valid("param");
			c.get("facts").model = code;
			return c.json(await getModelCrash(c.env.DB, code, signature), 200);
		},
	);
