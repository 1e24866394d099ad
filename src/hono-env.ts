import type { Principal } from "./auth/principal";
import type { Device } from "./db/devices";
import type { ServedVersion } from "./db/firmware-versions";
import type { Env } from "./env";
import type { Target } from "./services/device-target";

/** What a request records for its metrics data point and log line (SPEC §9). */
export interface RequestFacts {
	operation?: string;
	/** The matched route pattern, for the log line (never the raw path with ids). */
	route?: string;
	model?: string;
	bytes?: number;
	/** The error code the request ended with, if any. */
	code?: string;
}

export interface AppEnv {
	Bindings: Env;
	Variables: {
		facts: RequestFacts;
		principal: Principal;
		/** Set on device endpoints: the calling device, checked active and of its model. */
		device: Device;
		/** Set on device endpoints: what the device is served (pinned, rollout or current). */
		target: Target<ServedVersion>;
	};
}
