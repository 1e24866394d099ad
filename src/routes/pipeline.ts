import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forPipelines } from "../auth/middleware";
import { errorResponses, jsonContent, ModelCodeParam } from "../schemas/common";
import {
	firmwareUploadBody,
	PipelineFirmwareVersion,
	UploadResultSchema,
} from "../schemas/firmware";
import { getModelOrThrow } from "../services/device-models";
import { answerUpload } from "./firmware-upload";
import { createRouter } from "./router";

const tags = ["Pipeline"];

export const pipelineRoutes = createRouter()
	.openapi(
		createRoute({
			method: "post",
			path: "/api/pipeline/models/{code}/firmware",
			tags,
			security: bearerSecurity,
			summary: "Upload a firmware bundle or bare app image from CI; it becomes current",
			middleware: forPipelines("pipeline_upload_firmware"),
			request: { params: ModelCodeParam, body: firmwareUploadBody },
			responses: {
				200: jsonContent(UploadResultSchema, "Stored and current"),
				...errorResponses(400, 401, 403, 404, 409, 413),
			},
		}),
		async (c) => {
			return answerUpload(c, c.req.valid("param").code, "pipeline_upload_firmware_zip");
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/pipeline/models/{code}/firmware-version",
			tags,
			security: bearerSecurity,
			summary: "The model's current firmware version (null when none)",
			middleware: forPipelines("pipeline_get_firmware_version"),
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(PipelineFirmwareVersion, "The current version"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			const model = await getModelOrThrow(c.env.DB, code);
			return c.json({ code, firmware_version: model.firmware_version }, 200);
		},
	);
