import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "./errors";
import type { AppEnv } from "./hono-env";
import { errorResponse } from "./http/error-response";
import { allowedMethods } from "./http/method-not-allowed";
import { requestLog } from "./http/request-log";
import { consoleRoutes } from "./routes/console";
import { coredumpAdminRoutes } from "./routes/coredumps-admin";
import { coredumpDeviceRoutes } from "./routes/coredumps-device";
import { deviceModelRoutes } from "./routes/device-models";
import { deviceRoutes } from "./routes/devices";
import { firmwareAdminRoutes } from "./routes/firmware-admin";
import { healthRoutes } from "./routes/health";
import { iotRoutes } from "./routes/iot";
import { pipelineRoutes } from "./routes/pipeline";
import { uploadScriptRoutes } from "./routes/upload-scripts";

export const app = new OpenAPIHono<AppEnv>();

app.use("*", requestLog);

app.route("/", healthRoutes);
app.route("/", deviceModelRoutes);
app.route("/", deviceRoutes);
app.route("/", firmwareAdminRoutes);
app.route("/", pipelineRoutes);
app.route("/", iotRoutes);
app.route("/", uploadScriptRoutes);
app.route("/", coredumpAdminRoutes);
app.route("/", coredumpDeviceRoutes);
app.route("/", consoleRoutes);

app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
	type: "http",
	scheme: "bearer",
	bearerFormat: "JWT",
});
app.doc31("/api/openapi.json", {
	openapi: "3.1.0",
	info: {
		title: "ota-edge",
		version: "1.0.0",
		description: "Firmware and crash back end for ESP32 fleets.",
	},
});

app.notFound((c) => {
	const allow = allowedMethods(app, c.req.path);
	if (allow.length > 0) {
		c.header("Allow", allow.join(", "));
		return errorResponse(
			new AppError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here.`, { allow }),
			c,
		);
	}
	return errorResponse(new AppError("ROUTE_NOT_FOUND", "There is no such endpoint."), c);
});

app.onError(errorResponse);
