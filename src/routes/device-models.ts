import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forAdmins } from "../auth/middleware";
import { jsonBodyLimit } from "../http/json-body-limit";
import { errorResponses, jsonContent, ModelCodeParam } from "../schemas/common";
import {
	CreateDeviceModel,
	DeviceModelList,
	DeviceModelSchema,
	PatchDeviceModel,
} from "../schemas/device-models";
import {
	createModel,
	deleteModel,
	getModelOrThrow,
	listDeviceModels,
	patchModel,
} from "../services/device-models";
import { createRouter } from "./router";

const tags = ["Device models"];

export const deviceModelRoutes = createRouter()
	.openapi(
		createRoute({
			method: "get",
			path: "/api/device-models",
			tags,
			security: bearerSecurity,
			summary: "List device models, ordered by code",
			middleware: forAdmins("list_device_models"),
			responses: { 200: jsonContent(DeviceModelList, "The models"), ...errorResponses(401, 403) },
		}),
		async (c) => {
			const deviceModels = await listDeviceModels(c.env.DB);
			return c.json({ device_models: deviceModels, count: deviceModels.length }, 200);
		},
	)
	.openapi(
		createRoute({
			method: "post",
			path: "/api/device-models",
			tags,
			security: bearerSecurity,
			summary: "Create a device model",
			middleware: [...forAdmins("create_device_model"), jsonBodyLimit],
			request: {
				body: { required: true, content: { "application/json": { schema: CreateDeviceModel } } },
			},
			responses: {
				201: jsonContent(DeviceModelSchema, "The new model"),
				...errorResponses(400, 401, 403, 409, 413),
			},
		}),
		async (c) => {
			const input = c.req.valid("json");
			c.get("facts").model = input.code;
			return c.json(await createModel(c.env.DB, input), 201);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/device-models/{code}",
			tags,
			security: bearerSecurity,
			summary: "Get one device model",
			middleware: forAdmins("get_device_model"),
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(DeviceModelSchema, "The model"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			return c.json(await getModelOrThrow(c.env.DB, code), 200);
		},
	)
	.openapi(
		createRoute({
			method: "patch",
			path: "/api/device-models/{code}",
			tags,
			security: bearerSecurity,
			summary: "Rename a model or set its chip",
			middleware: [...forAdmins("update_device_model"), jsonBodyLimit],
			request: {
				params: ModelCodeParam,
				body: { required: true, content: { "application/json": { schema: PatchDeviceModel } } },
			},
			responses: {
				200: jsonContent(DeviceModelSchema, "The updated model"),
				...errorResponses(400, 401, 403, 404, 413),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			return c.json(await patchModel(c.env.DB, code, c.req.valid("json")), 200);
		},
	)
	.openapi(
		createRoute({
			method: "delete",
			path: "/api/device-models/{code}",
			tags,
			security: bearerSecurity,
			summary: "Delete a model without devices, with every stored artifact of it",
			middleware: forAdmins("delete_device_model"),
			request: { params: ModelCodeParam },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			await deleteModel(c.env, code);
			return c.body(null, 204);
		},
	);
