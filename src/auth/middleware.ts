import type { MiddlewareHandler } from "hono";
import { type Device, getDevice, getDeviceAndCurrentVersion } from "../db/devices";
import { AppError, Forbidden, NotFound, Unauthorized } from "../errors";
import type { AppEnv } from "../hono-env";
import { parseDeviceClientId } from "../lib/identifiers";
import { verifyAuthorization } from "./verify-token";

/** Names the operation for metrics and logs; first in every route's middleware. */
export const operation =
	(name: string): MiddlewareHandler<AppEnv> =>
	async (c, next) => {
		const facts = c.get("facts");
		facts.operation = name;
		facts.route = c.req.routePath;
		await next();
	};

/** Lets the request through when the token carries one of the roles (`admin` always does). */
export const requireRoles =
	(...roles: string[]): MiddlewareHandler<AppEnv> =>
	async (c, next) => {
		const principal = await authenticate(c);
		if (!principal.roles.has("admin") && !roles.some((role) => principal.roles.has(role))) {
			throw authFailure(
				c,
				new Forbidden(
					"FORBIDDEN",
					`This endpoint needs the role ${["admin", ...roles].join(" or ")}.`,
				),
			);
		}
		c.set("principal", principal);
		await next();
	};

/**
 * Device endpoints: the token's azp/client_id names `iotdevice-<model>-<key>`; the device must
 * exist (404), be active (403) and belong to that model (401). `withCurrentVersion` reads the
 * model's current version (`currentVersion`) in the same D1 round trip as the device: the
 * download and version-check endpoints, the ones devices call most, then cost one round trip.
 */
export const requireDevice =
	(withCurrentVersion: boolean): MiddlewareHandler<AppEnv> =>
	async (c, next) => {
		const principal = await authenticate(c);
		const id = principal.clientId ? parseDeviceClientId(principal.clientId) : null;
		if (!id) {
			throw authFailure(
				c,
				new Forbidden("NOT_A_DEVICE", "This endpoint is for devices; the token names no device."),
			);
		}
		let device: Device | null;
		if (withCurrentVersion) {
			const found = await getDeviceAndCurrentVersion(c.env.DB, id.deviceKey, id.modelCode);
			device = found.device;
			c.set("currentVersion", found.currentVersion);
		} else {
			device = await getDevice(c.env.DB, id.deviceKey);
		}
		if (!device) {
			throw authFailure(
				c,
				new NotFound("DEVICE_NOT_FOUND", "The token's device is not registered."),
			);
		}
		if (!device.active) {
			throw authFailure(c, new Forbidden("DEVICE_INACTIVE", "The token's device is deactivated."));
		}
		if (device.model_code !== id.modelCode) {
			throw authFailure(
				c,
				new Unauthorized("DEVICE_MODEL_MISMATCH", "The token's device belongs to another model."),
			);
		}
		c.set("principal", principal);
		c.set("device", device);
		c.get("facts").model = device.model_code;
		await next();
	};

async function authenticate(c: Parameters<MiddlewareHandler<AppEnv>>[0]) {
	try {
		return await verifyAuthorization(c.env, c.req.header("authorization"));
	} catch (err) {
		throw err instanceof AppError ? authFailure(c, err) : err;
	}
}

/** Auth failures are their own operation in the metrics, whatever was attempted. */
function authFailure(c: Parameters<MiddlewareHandler<AppEnv>>[0], err: AppError): AppError {
	c.get("facts").operation = "auth_failure";
	return err;
}

/** Route middleware: the operation's name, then the check of who may call it. */
export const forAdmins = (name: string) => [operation(name), requireRoles("admin")];
export const forPipelines = (name: string) => [operation(name), requireRoles("pipeline")];
export const forDevices = (name: string, options: { withCurrentVersion?: boolean } = {}) => [
	operation(name),
	requireDevice(options.withCurrentVersion ?? false),
];

/** The OpenAPI security requirement of every protected route. */
export const bearerSecurity = [{ bearerAuth: [] }];
