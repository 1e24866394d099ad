import { sendBinary } from "../http/binary-response";
import { errorResponses, jsonContent, ModelCodeParam } from "../schemas/common";
import { DeviceModelSchema } from "../schemas/device-models";
import {
	FirmwareVersionList,
	firmwareUploadBody,
	imageResponses,
	UploadQuery,
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
import { adminRoutes, forModel } from "./admin-route";
import { deferTo } from "./context";
import { answerUpload } from "./firmware-upload";
import { answerImage } from "./image-answer";
import { createRouter } from "./router";

const route = adminRoutes(["Firmware (admin)"]);
const base = "/api/device-models/{code}/firmware";

export const firmwareAdminRoutes = createRouter()
	.openapi(
		route("upload_firmware", {
			method: "post",
			path: base,
			summary: "Upload firmware for a model (same as the pipeline upload)",
			request: { params: ModelCodeParam, query: UploadQuery, body: firmwareUploadBody },
			responses: {
				200: jsonContent(UploadResultSchema, "Stored and current"),
				...errorResponses(400, 401, 403, 404, 409, 413),
			},
		}),
		async (c) => {
			return answerUpload(c, c.req.valid("param").code, c.req.valid("query").activate !== "false");
		},
	)
	.openapi(
		route("download_firmware", {
			method: "get",
			path: base,
			summary: "Download the model's current app image (GET or HEAD, ranges, ETag)",
			request: { params: ModelCodeParam },
			responses: { ...imageResponses, ...errorResponses(400, 401, 403, 404, 416) },
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			const row = await currentVersionOrThrow(c.env.DB, code);
			return answerImage(c, row, false);
		},
	)
	.openapi(
		route("list_firmware_versions", {
			method: "get",
			path: `${base}/versions`,
			summary: "The model's stored versions, newest first",
			request: { params: ModelCodeParam },
			responses: {
				200: jsonContent(FirmwareVersionList, "The versions"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code } = forModel(c, c.req.valid("param"));
			const versions = await versionHistory(c.env.DB, code);
			return c.json({ versions, count: versions.length }, 200);
		},
	)
	.openapi(
		route("download_firmware", {
			method: "get",
			path: `${base}/versions/{version}/bin`,
			summary: "One version's app image (GET or HEAD, ranges, ETag)",
			request: { params: VersionParams },
			responses: { ...imageResponses, ...errorResponses(400, 401, 403, 404, 416) },
		}),
		async (c) => {
			const { code, version } = forModel(c, c.req.valid("param"));
			const row = await modelVersionOrThrow(c.env.DB, code, version);
			return answerImage(c, row, true);
		},
	)
	.openapi(
		route("download_firmware_bundle", {
			method: "get",
			path: `${base}/versions/{version}/zip`,
			summary: "One version's bundle as uploaded; 404 for a bare-image version",
			request: { params: VersionParams },
			responses: {
				200: { description: "The ZIP bundle", content: { "application/zip": { schema: {} } } },
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, version } = forModel(c, c.req.valid("param"));
			return sendBinary(c, await bundleDownload(c.env, code, version));
		},
	)
	.openapi(
		route("activate_firmware_version", {
			method: "post",
			path: `${base}/versions/{version}/activate`,
			summary: "Make a stored version current (roll back or forward)",
			request: { params: VersionParams },
			responses: {
				200: jsonContent(DeviceModelSchema, "The model, with its new current version"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { code, version } = forModel(c, c.req.valid("param"));
			return c.json(await activate(c.env, code, version, deferTo(c)), 200);
		},
	)
	.openapi(
		route("delete_firmware_version", {
			method: "delete",
			path: `${base}/versions/{version}`,
			summary: "Delete a version that is not current",
			request: { params: VersionParams },
			responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const { code, version } = forModel(c, c.req.valid("param"));
			await deleteVersion(c.env, code, version);
			return c.body(null, 204);
		},
	);
