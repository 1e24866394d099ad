import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { errorOf } from "../helpers/api";
import { membersOf, modelWithTwoVersions, rolloutApi } from "./setup";

interface Rollout {
	id: string;
	version: string;
	baseline_version: string | null;
	percent: number;
	state: string;
	steps: unknown[];
	guard: unknown;
	halted_reason: unknown;
	devices_targeted: number;
	created_at: string;
	updated_at: string;
}

const currentOf = async (code: string) =>
	(
		await env.DB.prepare("SELECT current_version FROM device_models WHERE code = ?1")
			.bind(code)
			.first<{ current_version: string }>()
	)?.current_version;

describe("starting a rollout", () => {
	it("answers 201 with the rollout, counting the devices its hash reaches", async () => {
		const m = await modelWithTwoVersions("ro_start", 12);
		const res = await rolloutApi(m.code, "", {
			json: {
				version: "2.0.0",
				percent: 50,
				steps: [{ percent: 100, after_minutes: 30 }],
				guard: { max_crash_rate: 0.05, min_devices: 3 },
			},
		});
		expect(res.status).toBe(201);
		const rollout = await res.json<Rollout>();
		expect(Object.keys(rollout).sort()).toEqual(
			[
				"id",
				"version",
				"baseline_version",
				"percent",
				"state",
				"steps",
				"guard",
				"halted_reason",
				"devices_targeted",
				"created_at",
				"updated_at",
			].sort(),
		);
		expect(rollout).toMatchObject({
			version: "2.0.0",
			baseline_version: "1.0.0",
			percent: 50,
			state: "active",
			steps: [{ percent: 100, after_minutes: 30 }],
			guard: { max_crash_rate: 0.05, min_devices: 3 },
			halted_reason: null,
		});
		const keys = m.devices.map((d) => d.key);
		expect(rollout.devices_targeted).toBe(membersOf(rollout.id, keys, 50).length);
		// The current version does not change: the rollout only reaches some devices.
		expect(await currentOf(m.code)).toBe("1.0.0");

		const list = await (await rolloutApi(m.code, "")).json<{
			rollouts: Rollout[];
			count: number;
		}>();
		expect(list).toMatchObject({ count: 1, rollouts: [{ id: rollout.id, state: "active" }] });
	});

	it("refuses a second one while one is open (409 ROLLOUT_IN_PROGRESS), even at once", async () => {
		const m = await modelWithTwoVersions("ro_twice", 0);
		const body = { json: { version: "2.0.0", percent: 10 } };
		const answers = await Promise.all([
			rolloutApi(m.code, "", body),
			rolloutApi(m.code, "", body),
			rolloutApi(m.code, "", body),
		]);
		expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409]);
		for (const r of answers.filter((a) => a.status === 409)) {
			expect((await errorOf(r)).code).toBe("ROLLOUT_IN_PROGRESS");
		}
		const { count } = await (await rolloutApi(m.code, "")).json<{ count: number }>();
		expect(count).toBe(1);
	});

	it("refuses unknown models and versions, the current version, and steps that do not rise", async () => {
		const m = await modelWithTwoVersions("ro_refusals", 0);
		const cases: [unknown, string, number, string][] = [
			[{ version: "9.9.9", percent: 5 }, m.code, 404, "VERSION_NOT_FOUND"],
			[{ version: "2.0.0", percent: 5 }, "no_such_model", 404, "MODEL_NOT_FOUND"],
			[{ version: "1.0.0", percent: 5 }, m.code, 409, "ROLLOUT_TARGET_IS_CURRENT"],
			[{ version: "2.0.0", percent: 101 }, m.code, 400, "VALIDATION_FAILED"],
			[{ version: "2.0.0", percent: 1.234 }, m.code, 400, "VALIDATION_FAILED"],
			[{ version: "../x", percent: 5 }, m.code, 400, "VALIDATION_FAILED"],
			[
				{ version: "2.0.0", percent: 20, steps: [{ percent: 10, after_minutes: 5 }] },
				m.code,
				400,
				"VALIDATION_FAILED",
			],
			[
				{ version: "2.0.0", percent: 5, guard: { max_crash_rate: 2, min_devices: 1 } },
				m.code,
				400,
				"VALIDATION_FAILED",
			],
			[{ version: "2.0.0", percent: 5, extra: 1 }, m.code, 400, "VALIDATION_FAILED"],
		];
		for (const [json, code, status, error] of cases) {
			const res = await rolloutApi(code, "", { json });
			expect(res.status, JSON.stringify(json)).toBe(status);
			expect((await errorOf(res)).code).toBe(error);
		}
		expect((await (await rolloutApi(m.code, "")).json<{ count: number }>()).count).toBe(0);
	});
});

describe("changing the open rollout", () => {
	it("raises the percentage, pauses, resumes, and keeps every change as an event", async () => {
		const m = await modelWithTwoVersions("ro_changes", 20);
		const { id } = await (
			await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 10 } })
		).json<Rollout>();
		const keys = m.devices.map((d) => d.key);

		const raised = await rolloutApi(m.code, "/current", {
			method: "PATCH",
			json: { percent: 60 },
		});
		expect(raised.status).toBe(200);
		expect(await raised.json()).toMatchObject({
			percent: 60,
			state: "active",
			devices_targeted: membersOf(id, keys, 60).length,
		});
		const paused = await rolloutApi(m.code, "/current/pause", { method: "POST" });
		expect(await paused.json()).toMatchObject({ state: "paused", percent: 60 });
		// Pausing again changes nothing.
		expect((await rolloutApi(m.code, "/current/pause", { method: "POST" })).status).toBe(200);
		const resumed = await rolloutApi(m.code, "/current/resume", { method: "POST" });
		expect(await resumed.json()).toMatchObject({ state: "active" });

		const events = await (await rolloutApi(m.code, `/${id}/events`)).json<{
			events: { revision: number; action: string; percent: number; state: string }[];
		}>();
		expect(events.events.map((e) => [e.revision, e.action, e.percent, e.state])).toEqual([
			[1, "start", 10, "active"],
			[2, "percent", 60, "active"],
			[3, "pause", 60, "paused"],
			[4, "resume", 60, "active"],
		]);
		expect((await rolloutApi(m.code, "/ffffffffffffffff/events")).status).toBe(404);
	});

	it("complete makes the target current for all and closes the rollout", async () => {
		const m = await modelWithTwoVersions("ro_complete", 6);
		await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 30 } });
		const done = await rolloutApi(m.code, "/current/complete", { method: "POST" });
		expect(done.status).toBe(200);
		expect(await done.json()).toMatchObject({ state: "completed", version: "2.0.0" });
		expect(await currentOf(m.code)).toBe("2.0.0");
		const none = await rolloutApi(m.code, "/current");
		expect(none.status).toBe(404);
		expect((await errorOf(none)).code).toBe("ROLLOUT_NOT_FOUND");
		// Another rollout can start now, from the new baseline (back to 1.0.0, say).
		const next = await rolloutApi(m.code, "", { json: { version: "1.0.0", percent: 5 } });
		expect(next.status).toBe(201);
		expect(await next.json()).toMatchObject({ baseline_version: "2.0.0", version: "1.0.0" });
	});

	it("abort leaves the baseline current and closes the rollout", async () => {
		const m = await modelWithTwoVersions("ro_abort", 6);
		await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 100 } });
		const aborted = await rolloutApi(m.code, "/current/abort", { method: "POST" });
		expect(await aborted.json()).toMatchObject({ state: "aborted" });
		expect(await currentOf(m.code)).toBe("1.0.0");
		const list = await (await rolloutApi(m.code, "")).json<{ rollouts: Rollout[] }>();
		expect(list.rollouts.map((r) => r.state)).toEqual(["aborted"]);
		// Closed rollouts keep how many devices they served when they closed.
		expect(list.rollouts[0]?.devices_targeted).toBe(6);
	});

	it("answers 404 ROLLOUT_NOT_FOUND for changes when none is open, 409 for a halted one's percentage", async () => {
		const m = await modelWithTwoVersions("ro_none", 0);
		for (const [path, method, json] of [
			["/current", "PATCH", { percent: 5 }],
			["/current/pause", "POST", undefined],
			["/current/complete", "POST", undefined],
		] as const) {
			const res = await rolloutApi(m.code, path, { method, json });
			expect(res.status).toBe(404);
			expect((await errorOf(res)).code).toBe("ROLLOUT_NOT_FOUND");
		}
		const { id } = await (
			await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 5 } })
		).json<Rollout>();
		await env.DB.prepare("UPDATE rollouts SET state = 'halted' WHERE id = ?1").bind(id).run();
		const patch = await rolloutApi(m.code, "/current", { method: "PATCH", json: { percent: 50 } });
		expect(patch.status).toBe(409);
		expect((await errorOf(patch)).code).toBe("ROLLOUT_STATE_INVALID");
		const pause = await rolloutApi(m.code, "/current/pause", { method: "POST" });
		expect((await errorOf(pause)).code).toBe("ROLLOUT_STATE_INVALID");
	});
});

describe("two operators at once", () => {
	it("both percentage changes apply, one after the other, and the events say so", async () => {
		const m = await modelWithTwoVersions("ro_race_pct", 0);
		const { id } = await (
			await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 5 } })
		).json<Rollout>();
		const answers = await Promise.all(
			[20, 40, 60, 80].map((percent) =>
				rolloutApi(m.code, "/current", { method: "PATCH", json: { percent } }),
			),
		);
		expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
		const events = await (await rolloutApi(m.code, `/${id}/events`)).json<{
			events: { revision: number; percent: number }[];
		}>();
		expect(events.events.map((e) => e.revision)).toEqual([1, 2, 3, 4, 5]);
		const final = await (await rolloutApi(m.code, "/current")).json<Rollout>();
		expect(final.percent).toBe(events.events.at(-1)?.percent);
	});

	it("complete and abort at once: exactly one wins, and the current version agrees with it", async () => {
		for (let round = 0; round < 3; round++) {
			const m = await modelWithTwoVersions(`ro_race_close_${round}`, 0, 10 + round * 2);
			await rolloutApi(m.code, "", { json: { version: "2.0.0", percent: 50 } });
			const [complete, abort] = await Promise.all([
				rolloutApi(m.code, "/current/complete", { method: "POST" }),
				rolloutApi(m.code, "/current/abort", { method: "POST" }),
			]);
			expect([complete.status, abort.status].sort()).toEqual([200, 404]);
			const [only] = (await (await rolloutApi(m.code, "")).json<{ rollouts: Rollout[] }>())
				.rollouts;
			expect(await currentOf(m.code)).toBe(only?.state === "completed" ? "2.0.0" : "1.0.0");
			expect(complete.status === 200).toBe(only?.state === "completed");
		}
	});
});
