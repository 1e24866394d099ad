import type { AnalysisMessage } from "./queues/analysis-messages";

/** Bindings and vars of the Worker, as wrangler.toml declares them. */
export interface Env {
	DB: D1Database;
	BLOBS: R2Bucket;
	METRICS?: AnalyticsEngineDataset;
	COREDUMP_LIMITER?: RateLimit;
	/** Core dumps to analyse (SPEC §10): produced and consumed by this Worker. */
	COREDUMP_QUEUE?: Queue<AnalysisMessage>;

	OIDC_ISSUER?: string;
	OIDC_AUDIENCE?: string;
	OIDC_JWKS_URL?: string;
	/** Inline JWKS JSON for static keys (local development, tests, small deployments). */
	OIDC_JWKS?: string;
	OIDC_TOKEN_URL?: string;
	OIDC_CLOCK_SKEW_SECONDS?: string;
	PUBLIC_BASE_URL?: string;
	/** The operator console's OIDC client (public, authorization code + PKCE); empty: no sign-in. */
	OIDC_CONSOLE_CLIENT_ID?: string;
	/** Scopes the console asks for; default `openid profile`. */
	OIDC_CONSOLE_SCOPE?: string;

	MQTT_URL?: string;
	MQTT_USERNAME?: string;
	MQTT_PASSWORD?: string;

	FIRMWARE_MAX_BYTES?: string;
	APP_IMAGE_MAX_BYTES?: string;
	COREDUMP_MAX_BYTES?: string;
	FIRMWARE_KEEP_VERSIONS?: string;
	COREDUMP_KEEP_PER_DEVICE?: string;
	/** Seconds a rate-limited device is told to wait (the limiter's period). */
	COREDUMP_RETRY_AFTER_SECONDS?: string;

	// Rollouts and device reports (SPEC §13)
	/** MQTT fan-out work, consumed by this Worker (`queue`); without it the fan-out runs inline. */
	NOTIFY_QUEUE?: Queue<unknown>;
	/** Devices per fan-out batch (one D1 read and one broker connection each). */
	NOTIFY_BATCH_DEVICES?: string;
	/** A device's `last_seen_at` is written at most once per this many seconds. */
	LAST_SEEN_WRITE_SECONDS?: string;

	// Crash analysis (SPEC §10)
	/** A failed analysis is retried after this many seconds × its attempt number (default 10). */
	COREDUMP_ANALYSIS_RETRY_SECONDS?: string;
	// The device path at the edge (SPEC §12).
	/** Seconds an isolate may answer a device from what it read of it; 0 reads D1 every time. */
	DEVICE_CACHE_SECONDS?: string;
}

export interface Limits {
	firmwareMaxBytes: number;
	appImageMaxBytes: number;
	coredumpMaxBytes: number;
	firmwareKeepVersions: number;
	coredumpKeepPerDevice: number;
	coredumpRetryAfterSeconds: number;
}

function positiveInt(value: string | undefined, fallback: number): number {
	if (value === undefined || value.trim() === "") return fallback;
	const n = Number(value);
	return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** Limits of SPEC §5, read from vars; a missing or malformed var falls back to its default. */
export function limitsOf(env: Env): Limits {
	return {
		firmwareMaxBytes: positiveInt(env.FIRMWARE_MAX_BYTES, 104_857_600),
		appImageMaxBytes: positiveInt(env.APP_IMAGE_MAX_BYTES, 16_777_216),
		coredumpMaxBytes: positiveInt(env.COREDUMP_MAX_BYTES, 1_048_576),
		firmwareKeepVersions: positiveInt(env.FIRMWARE_KEEP_VERSIONS, 10),
		coredumpKeepPerDevice: positiveInt(env.COREDUMP_KEEP_PER_DEVICE, 20),
		coredumpRetryAfterSeconds: positiveInt(env.COREDUMP_RETRY_AFTER_SECONDS, 60),
	};
}

/**
 * How long (seconds) an isolate remembers a device's record and target version (SPEC §12):
 * default 30, 0 turns the memory off; a malformed value falls back to the default.
 */
export function deviceCacheSecondsOf(env: Env): number {
	const value = env.DEVICE_CACHE_SECONDS;
	if (value === undefined || value.trim() === "") return 30;
	const n = Number(value);
	return Number.isSafeInteger(n) && n >= 0 ? n : 30;
}
