import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forAdmins } from "../auth/middleware";
import { sendBinary } from "../http/binary-response";
import { errorResponses, jsonContent } from "../schemas/common";
import {
	CoredumpList,
	CoredumpParams,
	CoredumpSchema,
	coredumpDownloadResponse,
} from "../schemas/coredumps";
import { DeviceKeyParam } from "../schemas/devices";
import {
	deleteAllCoredumps,
	deleteOneCoredump,
	downloadCoredump,
	getDeviceCoredump,
	listDeviceCoredumps,
} from "../services/coredumps";
import { createRouter } from "./router";

const tags = ["Core dumps (admin)"];
const base = "/api/devices/{key}/coredumps";

export const coredumpAdminRoutes = createRouter()
	.openapi(
		createRoute({
			method: "get",
			path: base,
			tags,
			security: bearerSecurity,
			summary: "List a device's core dumps, newest first",
			middleware: forAdmins("list_coredumps"),
			request: { params: DeviceKeyParam },
			responses: {
				200: jsonContent(CoredumpList, "The device's core dumps"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const coredumps = await listDeviceCoredumps(c.env.DB, c.req.valid("param").key);
			return c.json({ coredumps, count: coredumps.length }, 200);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/{id}`,
			tags,
			security: bearerSecurity,
			summary: "One core dump's metadata",
			middleware: forAdmins("get_coredump"),
			request: { params: CoredumpParams },
			responses: {
				200: jsonContent(CoredumpSchema, "The core dump"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			const coredump = await getDeviceCoredump(c.env.DB, key, id);
			c.get("facts").model = coredump.model_code;
			return c.json(coredump, 200);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/{id}/download`,
			tags,
			security: bearerSecurity,
			summary: "Download a core dump's raw bytes under its stored file name",
			middleware: forAdmins("download_coredump"),
			request: { params: CoredumpParams },
			responses: { 200: coredumpDownloadResponse, ...errorResponses(400, 401, 403, 404) },
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			return sendBinary(c, await downloadCoredump(c.env, key, id));
		},
	)
	.openapi(
		createRoute({
			method: "delete",
			path: `${base}/{id}`,
			tags,
			security: bearerSecurity,
			summary: "Delete one core dump",
			middleware: forAdmins("delete_coredump"),
			request: { params: CoredumpParams },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			await deleteOneCoredump(c.env, key, id);
			return c.body(null, 204);
		},
	)
	.openapi(
		createRoute({
			method: "delete",
			path: base,
			tags,
			security: bearerSecurity,
			summary: "Delete every core dump of a device (the device stays)",
			middleware: forAdmins("delete_coredumps"),
			request: { params: DeviceKeyParam },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
		}),
		async (c) => {
			await deleteAllCoredumps(c.env, c.req.valid("param").key);
			return c.body(null, 204);
		},
	);
