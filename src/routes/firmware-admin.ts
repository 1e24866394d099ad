import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, forAdmins } from "../auth/middleware";
import { sendBinary } from "../http/binary-response";
import { errorResponses, jsonContent, ModelCodeParam } from "../schemas/common";
import { DeviceModelSchema } from "../schemas/device-models";
import {
	FirmwareVersionList,
	firmwareUploadBody,
	imageResponses,
	UploadResultSchema,
	VersionParams,
} from "../schemas/firmware";
import {
	activate,
	bundleDownload,
	currentVersionOrThrow,
	deleteVersion,
	modelVersionOrThrow,
	versionHistory,
} from "../services/firmware-versions";
import { deferTo } from "./context";
import { answerUpload } from "./firmware-upload";
import { answerImage } from "./image-answer";
import { createRouter } from "./router";

const tags = ["Firmware (admin)"];
const base = "/api/device-models/{code}/firmware";

export const firmwareAdminRoutes = createRouter()
	.openapi(
		createRoute({
			method: "post",
			path: base,
			tags,
			security: bearerSecurity,
			summary: "Upload firmware for a model (same as the pipeline upload)",
			middleware: forAdmins("upload_firmware"),
			request: { params: ModelCodeParam, body: firmwareUploadBody },
			responses: {
				200: jsonContent(UploadResultSchema, "Stored and current"),
				...errorResponses(400, 401, 403, 404, 409, 413),
			},
		}),
		async (c) => {
			return answerUpload(c, c.req.valid("param").code);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: base,
			tags,
			security: bearerSecurity,
			summary: "Download the model's current app image (GET or HEAD, ranges, ETag)",
			middleware: forAdmins("download_firmware"),
			request: { params: ModelCodeParam },
			responses: { ...imageResponses, ...errorResponses(400, 401, 403, 404, 416) },
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			const row = await currentVersionOrThrow(c.env.DB, code);
			return answerImage(c, row, false);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/versions`,
			tags,
			security: bearerSecurity,
			summary: "The model's stored versions, newest first",
			middleware: forAdmins("list_firmware_versions"),
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(FirmwareVersionList, "The versions"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = c.req.valid("param");
			c.get("facts").model = code;
			const versions = await versionHistory(c.env.DB, code);
			return c.json({ versions, count: versions.length }, 200);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/versions/{version}/bin`,
			tags,
			security: bearerSecurity,
			summary: "One version's app image (GET or HEAD, ranges, ETag)",
			middleware: forAdmins("download_firmware"),
			request: { params: VersionParams },
			responses: { ...imageResponses, ...errorResponses(400, 401, 403, 404, 416) },
		}),
		async (c) => {
			const { code, version } = c.req.valid("param");
			c.get("facts").model = code;
			const row = await modelVersionOrThrow(c.env.DB, code, version);
			return answerImage(c, row, true);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: `${base}/versions/{version}/zip`,
			tags,
			security: bearerSecurity,
			summary: "One version's bundle as uploaded; 404 for a bare-image version",
			middleware: forAdmins("download_firmware_bundle"),
			request: { params: VersionParams },
			responses: {
				200: { description: "The ZIP bundle", content: { "application/zip": { schema: {} } } },
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, version } = c.req.valid("param");
			c.get("facts").model = code;
			return sendBinary(c, await bundleDownload(c.env, code, version));
		},
	)
	.openapi(
		createRoute({
			method: "post",
			path: `${base}/versions/{version}/activate`,
			tags,
			security: bearerSecurity,
			summary: "Make a stored version current (roll back or forward)",
			middleware: forAdmins("activate_firmware_version"),
			request: { params: VersionParams },
			responses: {
				200: jsonContent(DeviceModelSchema, "The model, with its new current version"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, version } = c.req.valid("param");
			c.get("facts").model = code;
			return c.json(await activate(c.env, code, version, deferTo(c)), 200);
		},
	)
	.openapi(
		createRoute({
			method: "delete",
			path: `${base}/versions/{version}`,
			tags,
			security: bearerSecurity,
			summary: "Delete a version that is not current",
			middleware: forAdmins("delete_firmware_version"),
			request: { params: VersionParams },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const { code, version } = c.req.valid("param");
			c.get("facts").model = code;
			await deleteVersion(c.env, code, version);
			return c.body(null, 204);
		},
	);
