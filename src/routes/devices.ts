import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forAdmins } from "../auth/middleware";
import { jsonBodyLimit } from "../http/json-body-limit";
import { errorResponses, jsonContent } from "../schemas/common";
import {
	CreateDevice,
	DeviceKeyParam,
	DeviceList,
	DeviceListQuery,
	DeviceSchema,
	PatchDevice,
} from "../schemas/devices";
import {
	createDevice,
	deleteDevice,
	getDeviceOrThrow,
	listDevicesOf,
	patchDevice,
} from "../services/devices";
import { createRouter } from "./router";

const tags = ["Devices"];

export const deviceRoutes = createRouter()
	.openapi(
		createRoute({
			method: "get",
			path: "/api/devices",
			tags,
			security: bearerSecurity,
			summary: "List devices, optionally of one model",
			middleware: forAdmins("list_devices"),
			request: { query: DeviceListQuery },
			responses: { 200: jsonContent(DeviceList, "The devices"), ...errorResponses(400, 401, 403) },
		}),
		async (c) => {
			const { model } = c.req.valid("query");
			c.get("facts").model = model;
			const devices = await listDevicesOf(c.env.DB, model);
			return c.json({ devices, count: devices.length }, 200);
		},
	)
	.openapi(
		createRoute({
			method: "post",
			path: "/api/devices",
			tags,
			security: bearerSecurity,
			summary: "Register a device with a fresh key",
			middleware: [...forAdmins("create_device"), jsonBodyLimit],
			request: {
				body: { required: true, content: { "application/json": { schema: CreateDevice } } },
			},
			responses: {
				201: jsonContent(DeviceSchema, "The new device"),
				...errorResponses(400, 401, 403, 404, 413),
			},
		}),
		async (c) => {
			const input = c.req.valid("json");
			c.get("facts").model = input.model_code;
			return c.json(await createDevice(c.env.DB, input), 201);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/devices/{key}",
			tags,
			security: bearerSecurity,
			summary: "Get one device",
			middleware: forAdmins("get_device"),
			request: { params: DeviceKeyParam },
			responses: {
				200: jsonContent(DeviceSchema, "The device"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const device = await getDeviceOrThrow(c.env.DB, c.req.valid("param").key);
			c.get("facts").model = device.model_code;
			return c.json(device, 200);
		},
	)
	.openapi(
		createRoute({
			method: "patch",
			path: "/api/devices/{key}",
			tags,
			security: bearerSecurity,
			summary: "Rename, activate or deactivate a device",
			middleware: [...forAdmins("update_device"), jsonBodyLimit],
			request: {
				params: DeviceKeyParam,
				body: { required: true, content: { "application/json": { schema: PatchDevice } } },
			},
			responses: {
				200: jsonContent(DeviceSchema, "The updated device"),
				...errorResponses(400, 401, 403, 404, 413),
			},
		}),
		async (c) => {
			const { key } = c.req.valid("param");
			const device = await patchDevice(c.env.DB, key, c.req.valid("json"));
			c.get("facts").model = device.model_code;
			return c.json(device, 200);
		},
	)
	.openapi(
		createRoute({
			method: "delete",
			path: "/api/devices/{key}",
			tags,
			security: bearerSecurity,
			summary: "Delete a device and its core dumps",
			middleware: forAdmins("delete_device"),
			request: { params: DeviceKeyParam },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
		}),
		async (c) => {
			const deleted = await deleteDevice(c.env, c.req.valid("param").key);
			c.get("facts").model = deleted.model_code;
			return c.body(null, 204);
		},
	);
