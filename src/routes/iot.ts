import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, forDevices } from "../auth/middleware";
import { jsonBodyLimit } from "../http/json-body-limit";
import { errorResponses, FirmwareVersion, jsonContent } from "../schemas/common";
import { DeviceFirmwareVersion, imageResponses, ShaParam } from "../schemas/firmware";
import { StatusReportSchema } from "../schemas/rollouts";
import {
	targetImageByHashOrThrow,
	targetImageOrThrow,
	targetVersionAnswer,
} from "../services/device-firmware";
import { noteRunningVersion, reportStatus } from "../services/device-reports";
import { deferTo } from "./context";
import { answerImage } from "./image-answer";
import { createRouter } from "./router";

const tags = ["Devices (OTA)"];

const RunningVersionHeader = z.object({
	"x-firmware-version": FirmwareVersion.optional().openapi({
		description: "The version the device runs; recorded as its reported version when it changed",
	}),
});

export const iotRoutes = createRouter()
	.openapi(
		createRoute({
			method: "get",
			path: "/api/iot/firmware",
			tags,
			security: bearerSecurity,
			summary: "The device's target app image (GET or HEAD, ranges, ETag)",
			middleware: forDevices("iot_get_firmware"),
			responses: { ...imageResponses, ...errorResponses(401, 403, 404, 416) },
		}),
		async (c) => {
			return answerImage(c, targetImageOrThrow(c.get("target")), false);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/iot/firmware/{sha256}",
			tags,
			security: bearerSecurity,
			summary: "The device's target app image by content hash: immutable, safe to resume",
			middleware: forDevices("iot_get_firmware"),
			request: { params: ShaParam },
			responses: { ...imageResponses, ...errorResponses(400, 401, 403, 404, 416) },
		}),
		async (c) => {
			const { sha256 } = c.req.valid("param");
			return answerImage(c, targetImageByHashOrThrow(c.get("target"), sha256), true);
		},
	)
	.openapi(
		createRoute({
			method: "get",
			path: "/api/iot/firmware-version",
			tags,
			security: bearerSecurity,
			summary: "The device's target firmware version; X-Firmware-Version reports the running one",
			middleware: forDevices("iot_get_firmware_version"),
			request: { headers: RunningVersionHeader },
			responses: {
				200: jsonContent(DeviceFirmwareVersion, "The target version (nulls when none)"),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const running = c.req.valid("header")["x-firmware-version"];
			noteRunningVersion(c.env, c.get("device"), running, deferTo(c));
			return c.json(targetVersionAnswer(c.get("target")), 200);
		},
	)
	.openapi(
		createRoute({
			method: "post",
			path: "/api/iot/status",
			tags,
			security: bearerSecurity,
			summary: "Report the device's update state for a firmware version",
			middleware: [...forDevices("iot_report_status"), jsonBodyLimit],
			request: {
				body: { required: true, content: { "application/json": { schema: StatusReportSchema } } },
			},
			responses: {
				204: { description: "Recorded" },
				...errorResponses(400, 401, 403, 404, 413),
			},
		}),
		async (c) => {
			const report = c.req.valid("json");
			await reportStatus(c.env, c.get("device"), { ...report, error: report.error ?? null });
			return c.body(null, 204);
		},
	);
