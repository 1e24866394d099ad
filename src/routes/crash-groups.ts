import { errorResponses, jsonContent, ModelCodeParam } from "../schemas/common";
import {
	CrashGroupDetail,
	CrashGroupList,
	CrashGroupParams,
	CrashGroupQuery,
} from "../schemas/crash-groups";
import { getModelCrash, listModelCrashes } from "../services/crash-groups";
import { adminRoutes, forModel } from "./admin-route";
import { createRouter } from "./router";

const route = adminRoutes(["Crash groups"]);
const base = "/api/device-models/{code}/crashes";

export const crashGroupRoutes = createRouter()
	.openapi(
		route("list_crash_groups", {
			method: "get",
			path: base,
			summary: "A model's crash groups, most recently seen first",
			description:
				"With `firmware_version` or `since`, only matching dumps count: the counts, versions and times are theirs.",
			request: { params: ModelCodeParam, query: CrashGroupQuery },
			responses: {
				200: jsonContent(CrashGroupList, "The crash groups"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			const crashes = await listModelCrashes(c.env.DB, code, c.req.valid("query"));
			return c.json({ crashes, count: crashes.length }, 200);
		},
	)
	.openapi(
		route("get_crash_group", {
			method: "get",
			path: `${base}/{signature}`,
			summary: "One crash group with its recent dumps",
			request: { params: CrashGroupParams },
			responses: {
				200: jsonContent(CrashGroupDetail, "The crash group"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, signature } = forModel(c, c.req.valid("param"));
			return c.json(await getModelCrash(c.env.DB, code, signature), 200);
		},
	);
