import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { Env } from "../../src/env";
import { enqueueNotifyJobs } from "../../src/services/notify-dispatch";
import { DEFAULT_NOTIFY_BATCH_DEVICES, runNotifyJob } from "../../src/services/notify-fanout";
import type { NotifyJob } from "../../src/services/notify-jobs";
import { readStandInStats } from "../helpers/mqtt-subscriber";
import { RecordingQueue } from "../helpers/notify-queue";
import { RecordingMetrics } from "../helpers/recording-metrics";
import { simulatedKeys } from "../rollouts/fleet-keys";
import { insertDevices } from "../rollouts/setup";

/*
 * SPEC §13: a change for 100 000 devices finishes within the platform's limits. The plan costs
 * one D1 statement and two queue sends whatever the fleet; each batch of 1 000 devices costs two
 * D1 statements and one broker connection, so every queue invocation (10 batches at most) stays
 * far below the subrequest limit, and a failed batch is retried alone. This test shows the
 * batch size and what one batch costs; it prints the batch's time for the README, asserting none.
 */

const FLEET = 100_000;
const MODEL = `scale_${crypto.randomUUID().slice(0, 6)}`;

/** Counts the D1 statements the code under test runs (prepared statements executed). */
function countingDb(db: D1Database): { db: D1Database; statements: () => number } {
	let count = 0;
	const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
		new Proxy(statement, {
			get(target, property) {
				const value = Reflect.get(target, property);
				if (property === "bind") {
					return (...args: unknown[]) => wrapStatement(target.bind(...args));
				}
				if (["first", "all", "run", "raw"].includes(String(property))) {
					return (...args: unknown[]) => {
						count++;
						return (value as (...a: unknown[]) => unknown).apply(target, args);
					};
				}
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
	const wrapped = new Proxy(db, {
		get(target, property) {
			if (property === "prepare") return (sql: string) => wrapStatement(target.prepare(sql));
			if (property === "batch") {
				return (statements: D1PreparedStatement[]) => {
					count += statements.length;
					return target.batch(statements);
				};
			}
			const value = Reflect.get(target, property);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	return { db: wrapped, statements: () => count };
}

describe("a change for 100 000 devices", () => {
	it("plans 100 batches of 1 000 in one statement; one batch is two statements and one connection", async () => {
		const now = new Date().toISOString();
		await env.DB.batch([
			env.DB.prepare(
				"INSERT INTO device_models (code, name, created_at, updated_at) VALUES (?1, ?1, ?2, ?2)",
			).bind(MODEL, now),
			env.DB.prepare(
				`INSERT INTO firmware_versions (model_code, version, format, sha256, partition_sha256,
           size, chip, project_name, idf_version, secure_version, image_key, uploaded_at)
         VALUES (?1, '3.0.0', 'bin', ?2, ?2, 1048576, 'esp32', 'p', 'v5', 0, 'k', ?3)`,
			).bind(MODEL, "cd".repeat(32), now),
			env.DB.prepare("UPDATE device_models SET current_version = '3.0.0' WHERE code = ?1").bind(
				MODEL,
			),
		]);
		const keys = simulatedKeys(FLEET, 2026).sort();
		await insertDevices(MODEL, keys);

		const queue = new RecordingQueue();
		const sendBatch = queue.sendBatch.bind(queue);
		let sends = 0;
		queue.sendBatch = (messages) => {
			sends++;
			return sendBatch(messages);
		};
		const metrics = new RecordingMetrics();
		const counted = countingDb(env.DB);
		const testEnv: Env = {
			...env,
			DB: counted.db,
			MQTT_URL: `mqtt://127.0.0.1:${inject("mqttProxyPort")}`,
			NOTIFY_QUEUE: queue.asQueue(),
			METRICS: metrics,
		};
		const change: NotifyJob = {
			kind: "fleet",
			model: MODEL,
			before: { current: null, rollout: null },
			current_changed: true,
		};
		await enqueueNotifyJobs(testEnv, [change]);
		queue.pending.splice(0);

		// The plan: one statement, the batches sent 100 at a time.
		sends = 0;
		await runNotifyJob(testEnv, change, (jobs) => enqueueNotifyJobs(testEnv, jobs));
		expect(counted.statements()).toBe(1);
		const batches = queue.pending.splice(0) as (NotifyJob & { kind: "devices" })[];
		expect(batches).toHaveLength(FLEET / DEFAULT_NOTIFY_BATCH_DEVICES + 1);
		expect(sends).toBe(2);
		// The ranges cover every device once, each at most one batch long.
		const perBatch = batches.map(
			(b) =>
				keys.filter((k) => k > b.after_key && (b.through_key === null || k <= b.through_key))
					.length,
		);
		expect(perBatch.reduce((a, b) => a + b, 0)).toBe(FLEET);
		expect(Math.max(...perBatch)).toBe(DEFAULT_NOTIFY_BATCH_DEVICES);
		expect(JSON.stringify(batches[0]).length).toBeLessThan(300);

		// One batch: two statements, one connection, 1 000 messages.
		const before = await readStandInStats(inject("mqttStatsPort"));
		const statementsBefore = counted.statements();
		const started = performance.now();
		await runNotifyJob(testEnv, batches[0] as NotifyJob, async () => {
			throw new Error("a full batch queues nothing more");
		});
		const elapsed = performance.now() - started;
		expect(counted.statements() - statementsBefore).toBe(2);
		expect((await readStandInStats(inject("mqttStatsPort"))).proxied - before.proxied).toBe(1);
		expect(metrics.named("mqtt_notify")).toMatchObject([{ status: "ok", bytes: 1000 }]);
		console.log(
			JSON.stringify({
				batch_devices: DEFAULT_NOTIFY_BATCH_DEVICES,
				batch_ms: Math.round(elapsed),
				d1_statements: 2,
				connections: 1,
			}),
		);
	}, 60_000);
});
