import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduledAt } from "../helpers/notify-queue";
import { modelWithTwoVersions, rolloutApi } from "./setup";

/*
 * SPEC §13: `steps` advance from the Cron Trigger. Each step is due `after_minutes` after the
 * previous one took effect (or the rollout resumed); one step per run; a paused or halted
 * rollout never advances. Runs are simulated by calling the Worker's scheduled handler with the
 * time the trigger would fire.
 */

const MINUTE = 60_000;
const inMinutes = (start: number, minutes: number) => new Date(start + minutes * MINUTE);

interface Rollout {
	id: string;
	percent: number;
	state: string;
}
const current = async (code: string) =>
	(await (await rolloutApi(code, "/current")).json<Rollout>()) as Rollout;

describe("rollout steps", () => {
	it("advance one at a time, each after_minutes after the one before", async () => {
		const m = await modelWithTwoVersions("st_advance", 0);
		const start = Date.now();
		const created = await rolloutApi(m.code, "", {
			json: {
				version: "2.0.0",
				percent: 5,
				steps: [
					{ percent: 25, after_minutes: 10 },
					{ percent: 60, after_minutes: 30 },
					{ percent: 100, after_minutes: 30 },
				],
			},
		});
		expect(created.status).toBe(201);
		const { id } = await created.json<Rollout>();

		await runScheduledAt(env, inMinutes(start, 9));
		expect((await current(m.code)).percent).toBe(5);
		await runScheduledAt(env, inMinutes(start, 11));
		expect((await current(m.code)).percent).toBe(25);
		// Hours late, still one step per run: the guard judges each step before the next.
		await runScheduledAt(env, inMinutes(start, 200));
		expect((await current(m.code)).percent).toBe(60);
		await runScheduledAt(env, inMinutes(start, 201));
		expect((await current(m.code)).percent).toBe(60);
		await runScheduledAt(env, inMinutes(start, 231));
		expect(await current(m.code)).toMatchObject({ percent: 100, state: "active" });
		// No step is left; reaching 100 % does not complete the rollout.
		await runScheduledAt(env, inMinutes(start, 10_000));
		expect(await current(m.code)).toMatchObject({ percent: 100, state: "active" });

		const events = await (await rolloutApi(m.code, `/${id}/events`)).json<{
			events: { action: string; actor: string; percent: number }[];
		}>();
		expect(events.events.map((e) => [e.action, e.actor, e.percent])).toEqual([
			["start", "tester", 5],
			["step", "schedule", 25],
			["step", "schedule", 60],
			["step", "schedule", 100],
		]);
	});

	it("wait while the rollout is paused or halted, and count again from the resume", async () => {
		const m = await modelWithTwoVersions("st_paused", 0);
		const start = Date.now();
		await rolloutApi(m.code, "", {
			json: { version: "2.0.0", percent: 5, steps: [{ percent: 50, after_minutes: 10 }] },
		});
		expect((await rolloutApi(m.code, "/current/pause", { method: "POST" })).status).toBe(200);
		await runScheduledAt(env, inMinutes(start, 60));
		expect(await current(m.code)).toMatchObject({ percent: 5, state: "paused" });

		await env.DB.prepare(
			"UPDATE rollouts SET state = 'halted' WHERE model_code = ?1 AND state = 'paused'",
		)
			.bind(m.code)
			.run();
		await runScheduledAt(env, inMinutes(start, 120));
		expect(await current(m.code)).toMatchObject({ percent: 5, state: "halted" });

		const resumedAt = Date.now();
		expect((await rolloutApi(m.code, "/current/resume", { method: "POST" })).status).toBe(200);
		await runScheduledAt(env, inMinutes(resumedAt, 9));
		expect((await current(m.code)).percent).toBe(5);
		await runScheduledAt(env, inMinutes(resumedAt, 11));
		expect(await current(m.code)).toMatchObject({ percent: 50, state: "active" });
	});

	it("never lower a percentage an operator raised meanwhile", async () => {
		const m = await modelWithTwoVersions("st_raised", 0);
		const start = Date.now();
		await rolloutApi(m.code, "", {
			json: {
				version: "2.0.0",
				percent: 5,
				steps: [
					{ percent: 20, after_minutes: 10 },
					{ percent: 90, after_minutes: 10 },
				],
			},
		});
		await rolloutApi(m.code, "/current", { method: "PATCH", json: { percent: 50 } });
		await runScheduledAt(env, inMinutes(start, 11));
		expect((await current(m.code)).percent).toBe(50);
		await runScheduledAt(env, inMinutes(start, 22));
		expect((await current(m.code)).percent).toBe(90);
	});
});
