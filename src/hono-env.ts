import type { Principal } from "./auth/principal";
import type { Env } from "./env";

/** What handlers record about the request for the metrics and log line (SPEC §9). */
export interface RequestFacts {
	operation?: string;
	model?: string;
	bytes?: number;
}

export interface AppEnv {
	Bindings: Env;
	Variables: {
		principal: Principal;
		facts: RequestFacts;
	};
}
