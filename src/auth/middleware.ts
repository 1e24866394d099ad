import type { MiddlewareHandler } from "hono";
import { AppError, Forbidden, NotFound, Unauthorized } from "../errors";
import type { AppEnv } from "../hono-env";
import { parseDeviceClientId } from "../lib/identifiers";
import { deviceContextOf, forgetDeviceContexts } from "../services/device-context";
import { noteSeen } from "../services/device-reports";
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
		// A change made through this isolate reaches its own devices at once (SPEC §12).
		const writes = c.req.method !== "GET" && c.req.method !== "HEAD";
		try {
			await next();
		} finally {
			if (writes) forgetDeviceContexts();
		}
	};

/**
 * Device endpoints: the token's azp/client_id names `iotdevice-<model>-<key>`; the device must
 * exist (404), be active (403) and belong to that model (401). The device and the version it is
 * to be served (`target`: pinned, rollout or current) come from one D1 read per device per
 * DEVICE_CACHE_SECONDS (the device context); the device's
 * `last_seen_at` moves forward at most once per LAST_SEEN_WRITE_SECONDS, in the background.
 */
export const requireDevice = (): MiddlewareHandler<AppEnv> => async (c, next) => {
	const principal = await authenticate(c);
	const id = principal.clientId ? parseDeviceClientId(principal.clientId) : null;
	if (!id) {
		throw authFailure(
			c,
			new Forbidden("NOT_A_DEVICE", "This endpoint is for devices; the token names no device."),
		);
	}
	const context = await deviceContextOf(c.env, id);
	if (!context) {
		throw authFailure(c, new NotFound("DEVICE_NOT_FOUND", "The token's device is not registered."));
	}
	const { device, target } = context;
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
	c.set("target", target);
	c.get("facts").model = device.model_code;
	noteSeen(c.env, device, (work) =>
		c.executionCtx.waitUntil(
			work.catch((err: unknown) =>
				console.error(JSON.stringify({ msg: "last_seen_at not written", error: String(err) })),
			),
		),
	);
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
export const forDevices = (name: string) => [operation(name), requireDevice()];

/** The OpenAPI security requirement of every protected route. */
export const bearerSecurity = [{ bearerAuth: [] }];
