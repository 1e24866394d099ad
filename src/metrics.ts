import type { Env } from "./env";

export interface DataPoint {
	/** One of the operation names of SPEC §9. */
	operation: string;
	/** "ok", or the error code the operation ended with. */
	status: string;
	model?: string;
	durationMs: number;
	bytes?: number;
	httpStatus?: number;
}

/**
 * Writes one Analytics Engine data point. Layout (stable, queried by dashboards):
 * blobs = [operation, status, model], doubles = [duration_ms, bytes, http_status],
 * index = operation. Metrics never fail a request.
 */
export function recordDataPoint(env: Env, point: DataPoint): void {
	try {
		env.METRICS?.writeDataPoint({
			indexes: [point.operation],
			blobs: [point.operation, point.status, point.model ?? ""],
			doubles: [point.durationMs, point.bytes ?? 0, point.httpStatus ?? 0],
		});
	} catch (err) {
		console.error(JSON.stringify({ msg: "metrics write failed", error: String(err) }));
	}
}
