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
import { deviceViewOrThrow, listDeviceViews, updateDeviceView } from "../services/device-view";
import { createDevice, deleteDevice } from "../services/devices";
import { adminRoutes } from "./admin-route";
import { deferTo } from "./context";
import { createRouter } from "./router";

const route = adminRoutes(["Devices"]);

export const deviceRoutes = createRouter()
	.openapi(
		route("list_devices", {
			method: "get",
			path: "/api/devices",
			summary: "List devices, optionally of one model",
			request: { query: DeviceListQuery },
			responses: { 200: jsonContent(DeviceList, "The devices"), ...errorResponses(400, 401, 403) },
		}),
		async (c) => {
			const { model } = c.req.valid("query");
			c.get("facts").model = model;
			const devices = await listDeviceViews(c.env.DB, model);
			return c.json({ devices, count: devices.length }, 200);
		},
	)
	.openapi(
		route("create_device", {
			method: "post",
			path: "/api/devices",
			summary: "Register a device with a fresh key",
			middleware: [jsonBodyLimit],
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
			const created = await createDevice(c.env.DB, input);
			return c.json(await deviceViewOrThrow(c.env.DB, created.key), 201);
		},
	)
	.openapi(
		route("get_device", {
			method: "get",
			path: "/api/devices/{key}",
			summary: "Get one device",
			request: { params: DeviceKeyParam },
			responses: {
				200: jsonContent(DeviceSchema, "The device"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const device = await deviceViewOrThrow(c.env.DB, c.req.valid("param").key);
			c.get("facts").model = device.model_code;
			return c.json(device, 200);
		},
	)
	.openapi(
		route("update_device", {
			method: "patch",
			path: "/api/devices/{key}",
			summary: "Rename, activate or deactivate, pin or unpin a device",
			middleware: [jsonBodyLimit],
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
			const device = await updateDeviceView(c.env, key, c.req.valid("json"), deferTo(c));
			c.get("facts").model = device.model_code;
			return c.json(device, 200);
		},
	)
	.openapi(
		route("delete_device", {
			method: "delete",
			path: "/api/devices/{key}",
			summary: "Delete a device and its core dumps",
			request: { params: DeviceKeyParam },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
		}),
		async (c) => {
			const deleted = await deleteDevice(c.env, c.req.valid("param").key);
			c.get("facts").model = deleted.model_code;
			return c.body(null, 204);
		},
	);
