/**
 * Storage faults in every core dump operation, swept like the firmware ones:
 * each R2 and D1 call of a clean run is failed in turn, before it reaches storage and after it
 * took effect with its answer lost. After each fault the invariants of SPEC §7 hold (every row's
 * object exists with its bytes; objects without a row only where a delete failed after D1
 * dropped the row), a retry succeeds, and deleting the device and then the model leaves nothing.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { bucketKeys, fetchWithEnv } from "../helpers/fleet";
import { adminToken, deviceToken } from "../helpers/tokens";
import {
	expectFaultAnswer,
	expectNoLeaks,
	type Fail,
	faultingBindings,
	recordingBindings,
	type StorageCall,
	SWEEP_TIMEOUT_MS,
	sweep,
} from "./fault-sweep";
import { checkCoredumps, checkModelGone } from "./invariants";

const KEEP = 2;
/** No rate limit here: the limiter is not storage, and the sweep uploads often. */
const LIMITS: Partial<Env> = {
	COREDUMP_LIMITER: undefined,
	COREDUMP_KEEP_PER_DEVICE: String(KEEP),
};

interface Subject {
	model: string;
	device: string;
	token: string;
	/** The device's dumps before the operation, oldest first. */
	ids: string[];
}

interface Operation {
	name: string;
	prefix: string;
	send(subject: Subject, bindings: Partial<Env>): Promise<Response>;
	/** Whether `after` is the state the operation produces from `before`. */
	done(before: State, after: State, subject: Subject): boolean;
	upload?: boolean;
}

interface State {
	deviceExists: boolean;
	ids: string[];
	referenced: string[];
	unreferenced: string[];
}

/** A fresh token per request: a sweep on a busy machine outlasts a token's ten minutes. */
const token = () => adminToken();

const dump = (seed: number) => Uint8Array.from({ length: 700 }, (_, i) => (i * seed + seed) & 255);

function upload(subject: Subject, bindings: Partial<Env>, seed: number) {
	const body = dump(seed);
	return fetchWithEnv(
		{ ...LIMITS, ...bindings },
		"/api/iot/coredump?chip=esp32c3&firmware_version=2.0.1",
		{
			method: "POST",
			body,
			headers: { "content-length": String(body.byteLength) },
			token: subject.token,
		},
	);
}

const operations: Operation[] = [
	{
		name: "core dump upload (with retention)",
		prefix: "cd_upload",
		upload: true,
		send: (subject, bindings) => upload(subject, bindings, 9),
		done: (before, after) => {
			const added = after.ids.filter((id) => !before.ids.includes(id));
			return (
				after.deviceExists &&
				added.length === 1 &&
				(after.ids.length === KEEP || after.ids.length === before.ids.length + 1)
			);
		},
	},
	{
		name: "deleting one core dump",
		prefix: "cd_delete_one",
		send: async (subject, bindings) =>
			fetchWithEnv(bindings, `/api/devices/${subject.device}/coredumps/${subject.ids[0]}`, {
				method: "DELETE",
				token: await token(),
			}),
		done: (before, after, subject) =>
			JSON.stringify(after.ids) ===
			JSON.stringify(before.ids.filter((id) => id !== subject.ids[0])),
	},
	{
		name: "deleting every core dump of a device",
		prefix: "cd_delete_all",
		send: async (subject, bindings) =>
			fetchWithEnv(bindings, `/api/devices/${subject.device}/coredumps`, {
				method: "DELETE",
				token: await token(),
			}),
		done: (_before, after) => after.deviceExists && after.ids.length === 0,
	},
	{
		name: "deleting a device with its core dumps",
		prefix: "cd_delete_device",
		send: async (subject, bindings) =>
			fetchWithEnv(bindings, `/api/devices/${subject.device}`, {
				method: "DELETE",
				token: await token(),
			}),
		done: (_before, after) => !after.deviceExists && after.ids.length === 0,
	},
];

async function adminCall(path: string, method: string, json?: unknown): Promise<Response> {
	return fetchWithEnv({}, path, {
		method,
		token: await token(),
		...(json === undefined
			? {}
			: { body: JSON.stringify(json), headers: { "content-type": "application/json" } }),
	});
}

/** A model with one device that has sent two core dumps. */
async function given(model: string): Promise<Subject> {
	expect((await adminCall("/api/device-models", "POST", { code: model, name: model })).status).toBe(
		201,
	);
	const created = await adminCall("/api/devices", "POST", { model_code: model });
	expect(created.status).toBe(201);
	const { key } = await created.json<{ key: string }>();
	const subject: Subject = { model, device: key, token: await deviceToken(model, key), ids: [] };
	for (const seed of [1, 2]) {
		const res = await upload(subject, {}, seed);
		expect(res.status).toBe(201);
		subject.ids.push((await res.json<{ id: string }>()).id);
	}
	return subject;
}

async function state(subject: Subject): Promise<State> {
	const device = await env.DB.prepare("SELECT 1 AS one FROM devices WHERE key = ?1")
		.bind(subject.device)
		.first();
	const checked = await checkCoredumps(subject.model, subject.device, KEEP + 1);
	const { results } = await env.DB.prepare("SELECT object_key FROM coredumps WHERE device_key = ?1")
		.bind(subject.device)
		.all<{ object_key: string }>();
	return {
		deviceExists: device !== null,
		ids: [...checked.ids].sort(),
		referenced: results.map((r) => r.object_key),
		unreferenced: checked.unreferenced,
	};
}

async function record(op: Operation): Promise<StorageCall[]> {
	const subject = await given(`${op.prefix}_clean`);
	const recording = recordingBindings();
	const before = await state(subject);
	const res = await op.send(subject, recording.bindings);
	expect(res.status, await res.clone().text()).toBeLessThan(300);
	const after = await state(subject);
	expect(op.done(before, after, subject), "the clean run does what it should").toBe(true);
	expect(after.unreferenced).toEqual([]);
	await cleanUp(subject);
	return recording.calls();
}

/**
 * Deletes the device (if left) and the model; nothing of either may remain. Objects a failed
 * delete leaked (`leaked`) may outlive the device, never the model.
 */
async function cleanUp(subject: Subject, leaked: readonly string[] = []): Promise<void> {
	const device = await adminCall(`/api/devices/${subject.device}`, "DELETE");
	expect([204, 404]).toContain(device.status);
	for (const key of await bucketKeys(`coredumps/${subject.model}/${subject.device}/`)) {
		expect(leaked).toContain(key);
	}
	expect((await adminCall(`/api/device-models/${subject.model}`, "DELETE")).status).toBe(204);
	await checkModelGone(subject.model);
}

async function runWithFault(op: Operation, model: string, call: StorageCall, fail: Fail) {
	const subject = await given(model);
	const before = await state(subject);
	const faulting = faultingBindings(call, fail);
	const res = await op.send(subject, faulting.bindings);
	const body = await res.text();
	expectFaultAnswer(faulting.fired(), res.status, body);

	const after = await state(subject);
	const unchanged = JSON.stringify(after.ids) === JSON.stringify(before.ids) && after.deviceExists;
	const done = op.done(before, after, subject);
	if (res.status < 300) expect(done, "a success has taken effect").toBe(true);
	else expect(unchanged || done, "a failure took effect entirely or not at all").toBe(true);
	// A stored crash report is a success: the device must not send it again.
	if (op.upload && done) expect(res.status, body).toBe(201);
	expectNoLeaks(before.referenced, after, faulting.failedDelete());

	const retry = await op.send(subject, {});
	expect(retry.status, await retry.clone().text()).toSatisfy(
		(s: number) => s < 300 || (s === 404 && done),
	);
	const retried = await state(subject);
	for (const key of retried.unreferenced) expect(after.unreferenced).toContain(key);
	await cleanUp(subject, after.unreferenced);
}

describe("storage faults in core dump operations", () => {
	it.each(operations)(
		"$name: every storage call can fail; nothing is lost",
		async (op) => {
			const calls = await record(op);
			expect(calls.some((c) => c.binding === "r2")).toBe(true);
			expect(calls.some((c) => c.binding === "d1")).toBe(true);
			await sweep(op.name, calls, (call, fail, run) =>
				runWithFault(op, `${op.prefix}_${run}`, call, fail),
			);
		},
		SWEEP_TIMEOUT_MS,
	);
});
