import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forDevices } from "../auth/middleware";
import { errorResponses, jsonContent } from "../schemas/common";
import { DeviceFirmwareVersion, imageResponses, ShaParam } from "../schemas/firmware";
import { versionForDevice } from "../services/device-context";
import { noFirmwareForDevice } from "../services/firmware-versions";
import { answerImage } from "./image-answer";
import { createRouter } from "./router";

const tags = ["Devices (OTA)"];

export const iotRoutes = createRouter()
	.openapi(
		createRoute({
			method: "get",
			path: "/api/iot/firmware",
			tags,
			security: bearerSecurity,
			summary: "The current app image of the device's model (GET or HEAD, ranges, ETag)",
			middleware: forDevices("iot_get_firmware"),
			responses: { ...imageResponses, ...errorResponses(401, 403, 404, 416) },
		}),
		async (c) => {
			const row = c.get("deviceContext").target;
			if (!row) throw noFirmwareForDevice();
			return answerImage(c, row, false);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/iot/firmware/{sha256}",
			tags,
			security: bearerSecurity,
			summary: "An app image of the device's model by content hash: immutable, safe to resume",
			middleware: forDevices("iot_get_firmware"),
			request: { params: ShaParam },
			responses: { ...imageResponses, ...errorResponses(400, 401, 403, 404, 416) },
		}),
		async (c) => {
			const { sha256 } = c.req.valid("param");
			const context = c.get("deviceContext");
			const row = await versionForDevice(c.env, context, c.get("device").model_code, sha256);
			if (!row) throw noFirmwareForDevice();
			return answerImage(c, row, true);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/iot/firmware-version",
			tags,
			security: bearerSecurity,
			summary: "The current firmware version of the device's model",
			middleware: forDevices("iot_get_firmware_version"),
			responses: {
				200: jsonContent(DeviceFirmwareVersion, "The current version (nulls when none)"),
				...errorResponses(401, 403, 404),
			},
		}),
		async (c) => {
			const row = c.get("deviceContext").target;
			return c.json(
				{
					firmware_version: row?.version ?? null,
					sha256: row?.sha256 ?? null,
					size: row?.size ?? null,
				},
				200,
			);
		},
	);
