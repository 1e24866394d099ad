import { sendBinary } from "../http/binary-response";
import { errorResponses, jsonContent } from "../schemas/common";
import {
	CoredumpDetail,
	CoredumpList,
	CoredumpParams,
	coredumpDownloadResponse,
} from "../schemas/coredumps";
import { DeviceKeyParam } from "../schemas/devices";
import { getCoredumpDetail } from "../services/coredump-analyses";
import {
	deleteAllCoredumps,
	deleteOneCoredump,
	downloadCoredump,
	listDeviceCoredumps,
} from "../services/coredumps";
import { adminRoutes } from "./admin-route";
import { createRouter } from "./router";

const route = adminRoutes(["Core dumps (admin)"]);
const base = "/api/devices/{key}/coredumps";

export const coredumpAdminRoutes = createRouter()
	.openapi(
		route("list_coredumps", {
			method: "get",
			path: base,
			summary: "List a device's core dumps, newest first",
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
		route("get_coredump", {
			method: "get",
			path: `${base}/{id}`,
			summary: "One core dump's metadata and its analysis",
			request: { params: CoredumpParams },
			responses: {
				200: jsonContent(CoredumpDetail, "The core dump and its analysis"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			const detail = await getCoredumpDetail(c.env, key, id);
			c.get("facts").model = detail.model_code;
			return c.json(detail, 200);
		},
	)
	.openapi(
		route("download_coredump", {
			method: "get",
			path: `${base}/{id}/download`,
			summary: "Download a core dump's raw bytes under its stored file name",
			request: { params: CoredumpParams },
			responses: { 200: coredumpDownloadResponse, ...errorResponses(400, 401, 403, 404) },
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			return sendBinary(c, await downloadCoredump(c.env, key, id));
		},
	)
	.openapi(
		route("delete_coredump", {
			method: "delete",
			path: `${base}/{id}`,
			summary: "Delete one core dump",
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
		route("delete_coredumps", {
			method: "delete",
			path: base,
			summary: "Delete every core dump of a device (the device stays)",
			request: { params: DeviceKeyParam },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
		}),
		async (c) => {
			await deleteAllCoredumps(c.env, c.req.valid("param").key);
			return c.body(null, 204);
		},
	);
