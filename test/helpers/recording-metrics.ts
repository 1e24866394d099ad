/**
 * A stand-in for the METRICS binding (a Workers Analytics Engine dataset) that keeps every data
 * point written, so tests can assert them. Hand it to the app with `fetchWithEnv`:
 *
 *   const metrics = new RecordingMetrics();
 *   await fetchWithEnv({ METRICS: metrics }, "/api/device-models", { token });
 *   expect(metrics.take()).toMatchObject([{ operation: "list_device_models", status: "ok" }]);
 *
 * Points are decoded with the layout dashboards query (src/metrics.ts): blobs = [operation,
 * status, model], doubles = [duration_ms, bytes, http_status], indexes = [operation]. A point in
 * any other layout makes the read throw, so a changed layout fails the tests that read it.
 */

/** One data point, by field name. */
export interface RecordedPoint {
	operation: string;
	status: string;
	/** "" when the operation concerns no model. */
	model: string;
	durationMs: number;
	bytes: number;
	/** 0 for points not tied to a response (background work such as notifications). */
	httpStatus: number;
}

export class RecordingMetrics implements AnalyticsEngineDataset {
	/** Every data point as written, in order. */
	readonly written: AnalyticsEngineDataPoint[] = [];

	writeDataPoint(event?: AnalyticsEngineDataPoint): void {
		this.written.push(structuredClone(event ?? {}));
	}

	/** Every point so far, decoded. */
	points(): RecordedPoint[] {
		return this.written.map(decodePoint);
	}

	/** The points of one operation. */
	named(operation: string): RecordedPoint[] {
		return this.points().filter((p) => p.operation === operation);
	}

	/** Every point so far, decoded, and forgets them: one request's points at a time. */
	take(): RecordedPoint[] {
		const points = this.points();
		this.written.length = 0;
		return points;
	}
}

export function decodePoint(point: AnalyticsEngineDataPoint): RecordedPoint {
	const { indexes, blobs, doubles } = point;
	const layout = JSON.stringify(point);
	if (blobs?.length !== 3 || !blobs.every((b) => typeof b === "string")) {
		throw new Error(`expected blobs [operation, status, model]: ${layout}`);
	}
	if (doubles?.length !== 3 || !doubles.every((d) => Number.isFinite(d))) {
		throw new Error(`expected doubles [duration_ms, bytes, http_status]: ${layout}`);
	}
	const [operation, status, model] = blobs as string[];
	if (indexes?.length !== 1 || indexes[0] !== operation) {
		throw new Error(`expected indexes [operation]: ${layout}`);
	}
	const [durationMs, bytes, httpStatus] = doubles;
	return {
		operation: operation as string,
		status: status as string,
		model: model as string,
		durationMs: durationMs as number,
		bytes: bytes as number,
		httpStatus: httpStatus as number,
	};
}
