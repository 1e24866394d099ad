/**
 * Storage faults in every firmware operation. Each operation is first run
 * cleanly, recording every R2 and D1 call it makes; then it is run again once per recorded call,
 * with that one call failing, before it reaches storage and after it took effect (its answer
 * lost). After each fault the invariants of SPEC §6.3 are checked from the bucket and the tables
 * (test/hardening/invariants.ts), a retry must succeed, the next upload must work, and deleting
 * the model must leave nothing behind.
 */
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { buildAppImage } from "../fixtures/app-image";
import { buildFirmware } from "../fixtures/firmware";
import type { D1Method, R2Method } from "../helpers/faulty-bindings";
import { fetchWithEnv, uploadFirmware } from "../helpers/fleet";
import { adminToken } from "../helpers/tokens";
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
import { checkFirmware, checkModelGone, type FirmwareState } from "./invariants";

const KEEP = "2";

interface Operation {
	name: string;
	/** The model code prefix (≤ 30 characters: a run number is appended). */
	prefix: string;
	/** The request under test, with the given bindings. */
	send(model: string, bindings: Partial<Env>): Promise<Response>;
	/** Limit the sweep to these methods (all by default). */
	only?: readonly (R2Method | D1Method)[];
	/** Once its change is committed the answer is 200, whatever fails after (uploads, activate). */
	upload?: boolean;
}

/** A fresh token per request: a sweep on a busy machine outlasts a token's ten minutes. */
const token = () => adminToken();

/** An upload as curl sends it: with its Content-Length, unless the body is a stream. */
function post(model: string, bindings: Partial<Env>, body: Uint8Array | ReadableStream) {
	const headers: Record<string, string> =
		body instanceof Uint8Array ? { "content-length": String(body.byteLength) } : {};
	return async () =>
		fetchWithEnv(
			{ ...bindings, FIRMWARE_KEEP_VERSIONS: KEEP },
			`/api/pipeline/models/${model}/firmware`,
			{ method: "POST", body, headers, token: await token() },
		);
}

const operations: Operation[] = [
	{
		name: "ZIP upload of a new version (with retention)",
		prefix: "zip_new",
		upload: true,
		send: async (model, bindings) =>
			post(model, bindings, (await buildFirmware(model, { version: "1.2.0", seed: 3 })).zip)(),
	},
	{
		name: "ZIP upload replacing a version with other bytes",
		prefix: "zip_replace",
		upload: true,
		send: async (model, bindings) =>
			post(model, bindings, (await buildFirmware(model, { version: "1.1.0", seed: 4 })).zip)(),
	},
	{
		name: "bare image upload of a new version (with retention)",
		prefix: "bin_new",
		upload: true,
		send: async (model, bindings) =>
			post(model, bindings, await buildAppImage({ version: "1.2.0", seed: 3 }))(),
	},
	{
		name: "ZIP upload without a length, staged as a multipart upload",
		prefix: "zip_unsized",
		upload: true,
		// Over one 8 MiB part, so the staging put is a real multipart upload.
		send: async (model, bindings) => {
			const { zip } = await buildFirmware(model, {
				version: "1.2.0",
				seed: 3,
				elfSize: 9 * 1024 * 1024,
			});
			const body = new ReadableStream<Uint8Array>({
				start(controller) {
					for (let i = 0; i < zip.length; i += 1 << 20)
						controller.enqueue(zip.slice(i, i + (1 << 20)));
					controller.close();
				},
			});
			return post(model, bindings, body)();
		},
		only: ["createMultipartUpload", "uploadPart", "complete", "put", "delete"],
	},
	{
		name: "activating an older version",
		prefix: "activate",
		upload: true,
		send: async (model, bindings) =>
			fetchWithEnv(bindings, `/api/device-models/${model}/firmware/versions/1.0.0/activate`, {
				method: "POST",
				token: await token(),
			}),
	},
	{
		name: "deleting a version",
		prefix: "del_version",
		send: async (model, bindings) =>
			fetchWithEnv(bindings, `/api/device-models/${model}/firmware/versions/1.0.0`, {
				method: "DELETE",
				token: await token(),
			}),
	},
	{
		name: "deleting the model",
		prefix: "del_model",
		send: async (model, bindings) =>
			fetchWithEnv(bindings, `/api/device-models/${model}`, {
				method: "DELETE",
				token: await token(),
			}),
	},
];

/** Every model starts with two ZIP versions, 1.1.0 current. */
async function given(model: string): Promise<FirmwareState> {
	const res = await fetchWithEnv({}, "/api/device-models", {
		method: "POST",
		token: await token(),
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ code: model, name: model }),
	});
	expect(res.status).toBe(201);
	for (const [version, seed] of [
		["1.0.0", 1],
		["1.1.0", 2],
	] as const) {
		const up = await uploadFirmware(model, (await buildFirmware(model, { version, seed })).zip);
		expect(up.status).toBe(200);
	}
	return checkFirmware(model, []);
}

/** What the model holds, independent of its code: current version and version:sha pairs. */
function shape(state: FirmwareState) {
	return { exists: state.modelExists, current: state.current, versions: state.images };
}

interface Recorded {
	calls: StorageCall[];
	done: ReturnType<typeof shape>;
}

/** Runs the operation cleanly on a fresh model and records its calls, per method in order. */
async function record(op: Operation): Promise<Recorded> {
	const model = `${op.prefix}_clean`;
	await given(model);
	const recording = recordingBindings();
	const res = await op.send(model, recording.bindings);
	expect(res.status, await res.clone().text()).toBeLessThan(300);
	const done = shape(await checkFirmware(model, []));
	if (done.exists) await deleteModel(model);
	return { calls: recording.calls(), done };
}

async function deleteModel(model: string): Promise<void> {
	const res = await fetchWithEnv({}, `/api/device-models/${model}`, {
		method: "DELETE",
		token: await token(),
	});
	expect(res.status).toBe(204);
	await checkModelGone(model);
}

/** The model state is the one before the operation, or the one it produces (retention aside). */
function outcome(
	state: FirmwareState,
	before: FirmwareState,
	done: Recorded["done"],
): "before" | "done" | "other" {
	const now = shape(state);
	if (JSON.stringify(now) === JSON.stringify(shape(before))) return "before";
	if (now.exists !== done.exists || now.current !== done.current) return "other";
	// Done, possibly with retention still to do: every version of the result, plus at most
	// versions that were there before.
	const allowed = new Set([...done.versions, ...shape(before).versions]);
	const complete = done.versions.every((v) => now.versions.includes(v));
	return complete && now.versions.every((v) => allowed.has(v)) ? "done" : "other";
}

async function runWithFault(
	op: Operation,
	model: string,
	call: StorageCall,
	fail: Fail,
	done: Recorded["done"],
): Promise<void> {
	const before = await given(model);
	const faulting = faultingBindings(call, fail);
	const res = await op.send(model, faulting.bindings);
	const body = await res.text();
	expectFaultAnswer(faulting.fired(), res.status, body);

	const after = await checkFirmware(model);
	const result = outcome(after, before, done);
	if (res.status < 300) expect(result, "a success has taken effect").toBe("done");
	else expect(result, "a failure took effect entirely or not at all").not.toBe("other");
	// A committed upload is a success: devices are told, CI does not retry a stored release.
	if (op.upload && result === "done") expect(res.status, body).toBe(200);
	expectNoLeaks(before.referenced, after, faulting.failedDelete());

	// A retry without the fault succeeds (a delete may find its work already done).
	const retry = await op.send(model, {});
	expect(retry.status, await retry.clone().text()).toSatisfy(
		(s: number) => s < 300 || (s === 404 && result === "done"),
	);
	const retried = await checkFirmware(model);
	expect(outcome(retried, before, done)).toBe("done");
	for (const key of retried.unreferenced) expect(after.unreferenced).toContain(key);

	if (done.exists) {
		// The model keeps working: a new version uploads, and retention catches up.
		const next = await post(model, {}, await buildAppImage({ version: "1.3.0", seed: 5 }))();
		expect(next.status).toBe(200);
		const latest = await checkFirmware(model);
		expect(latest.current).toBe("1.3.0");
		expect(latest.versions).toHaveLength(Number(KEEP));
		for (const key of latest.unreferenced) expect(after.unreferenced).toContain(key);
		await deleteModel(model);
	} else {
		await checkModelGone(model);
	}
}

describe("storage faults in firmware operations", () => {
	it.each(operations)(
		"$name: every storage call can fail; nothing is lost",
		async (op) => {
			const { calls, done } = await record(op);
			const picked = calls.filter((c) => !op.only || op.only.includes(c.method));
			expect(picked.length).toBeGreaterThan(0);
			const run = await sweep(op.name, picked, (call, fail, n) =>
				runWithFault(op, `${op.prefix}_${n}`, call, fail, done),
			);
			expect(run).toBeGreaterThanOrEqual(picked.length);
		},
		SWEEP_TIMEOUT_MS,
	);

	it("records calls on both bindings, so the sweep covers R2 and D1", async () => {
		const { calls } = await record(operations[0] as Operation);
		const methods = new Set(calls.map((c) => `${c.binding} ${c.method}`));
		for (const expected of ["r2 put", "r2 get", "r2 delete", "d1 first", "d1 batch", "d1 all"]) {
			expect(methods).toContain(expected);
		}
	}, 30_000);
});
