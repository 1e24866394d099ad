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
import { adminRoutes, forModel } from "./admin-route";
import { createRouter } from "./router";

const route = adminRoutes(["Device models"]);

export const deviceModelRoutes = createRouter()
	.openapi(
		route("list_device_models", {
			method: "get",
			path: "/api/device-models",
			summary: "List device models, ordered by code",
			responses: { 200: jsonContent(DeviceModelList, "The models"), ...errorResponses(401, 403) },
		}),
		async (c) => {
			const deviceModels = await listDeviceModels(c.env.DB);
			return c.json({ device_models: deviceModels, count: deviceModels.length }, 200);
		},
	)
	.openapi(
		route("create_device_model", {
			method: "post",
			path: "/api/device-models",
			summary: "Create a device model",
			middleware: [jsonBodyLimit],
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
		route("get_device_model", {
			method: "get",
			path: "/api/device-models/{code}",
			summary: "Get one device model",
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(DeviceModelSchema, "The model"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			return c.json(await getModelOrThrow(c.env.DB, code), 200);
		},
	)
	.openapi(
		route("update_device_model", {
			method: "patch",
			path: "/api/device-models/{code}",
			summary: "Rename a model or set its chip",
			middleware: [jsonBodyLimit],
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
			const { code } = forModel(c, c.req.valid("param"));
			return c.json(await patchModel(c.env.DB, code, c.req.valid("json")), 200);
		},
	)
	.openapi(
		route("delete_device_model", {
			method: "delete",
			path: "/api/device-models/{code}",
			summary: "Delete a model without devices, with every stored artifact of it",
			request: { params: ModelCodeParam },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			await deleteModel(c.env, code);
			return c.body(null, 204);
		},
	);
