import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { Env } from "../../src/env";
import {
	type D1Method,
	type FaultRule,
	faultyBucket,
	faultyDatabase,
	type R2Method,
} from "../helpers/faulty-bindings";

/**
 * The machinery both storage-fault sweeps share (firmware and core dumps): record a clean run's
 * storage calls, fail each in turn before and after it takes effect, and check what every
 * fault may and may not leave behind.
 */

/**
 * A sweep runs its operation dozens of times; on two cores shared with other work the largest
 * (the multipart upload) takes five minutes, so the bound is wall-clock headroom, not a target.
 */
export const SWEEP_TIMEOUT_MS = 900_000;

/** Storage internals that must never reach a client's answer. */
export const INTERNAL = /10001|D1_ERROR|internal error\. Please|SQLITE|stack/i;

/** One storage call of a clean run: the `nth` call of `method` on its binding. */
export interface StorageCall {
	binding: "r2" | "d1";
	method: R2Method | D1Method;
	nth: number;
	target: string;
}

export type Fail = "before" | "after";

/** Bindings that record every call; `calls()` numbers them per method, in order. */
export function recordingBindings(): { bindings: Partial<Env>; calls: () => StorageCall[] } {
	const r2 = faultyBucket(env.BLOBS, []);
	const d1 = faultyDatabase(env.DB, []);
	const calls = (): StorageCall[] => {
		const numbered: StorageCall[] = [];
		for (const [binding, log] of [
			["r2", r2.calls()],
			["d1", d1.calls()],
		] as const) {
			const seen = new Map<string, number>();
			for (const call of log) {
				const [method = "", ...rest] = call.split(" ");
				const nth = (seen.get(method) ?? 0) + 1;
				seen.set(method, nth);
				numbered.push({
					binding,
					method: method as R2Method | D1Method,
					nth,
					target: rest.join(" ").slice(0, 80),
				});
			}
		}
		return numbered;
	};
	return { bindings: { BLOBS: r2.bucket, DB: d1.database }, calls };
}

/** Bindings where exactly `call` fails, `before` it reaches storage or `after` it took effect. */
export function faultingBindings(call: StorageCall, fail: Fail) {
	const rule = { method: call.method, nth: call.nth, fail };
	const r2 = faultyBucket(env.BLOBS, call.binding === "r2" ? [rule as FaultRule<R2Method>] : []);
	const d1 = faultyDatabase(env.DB, call.binding === "d1" ? [rule as FaultRule<D1Method>] : []);
	return {
		bindings: { BLOBS: r2.bucket, DB: d1.database } satisfies Partial<Env>,
		/** The keys of a delete the fault hit, whose objects may then be left behind. */
		failedDelete: (): string[] => {
			const picked = [...r2.picked(), ...d1.picked()][0] ?? "";
			return picked.startsWith("delete ") ? picked.slice(7).split(",") : [];
		},
		fired: () => r2.fired() + d1.fired(),
	};
}

/**
 * The answer to a request whose storage call failed: the fault happened, it is never the
 * client's fault (no 4xx), and its message never reaches the client.
 */
export function expectFaultAnswer(fired: number, status: number, body: string): void {
	expect(fired, "the fault happened").toBe(1);
	expect(status < 300 || status >= 500, `status ${status}: ${body}`).toBe(true);
	expect(body).not.toMatch(INTERNAL);
}

/**
 * Objects may only be left behind where D1 dropped their rows: by the operation itself, or by
 * a delete that failed after D1 committed.
 */
export function expectNoLeaks(
	before: readonly string[],
	after: { referenced: readonly string[]; unreferenced: readonly string[] },
	failedDelete: readonly string[],
): void {
	const allowed = new Set([
		...before.filter((k) => !after.referenced.includes(k)),
		...failedDelete,
	]);
	for (const key of after.unreferenced) expect(allowed.has(key), `leaked ${key}`).toBe(true);
}

/**
 * Fails every call in turn (a statement preparation only before: it never reaches storage),
 * labelling a failure with the call. Logs the size of the sweep for docs/reliability.md
 * (shown with --silent=false); returns the number of runs.
 */
export async function sweep(
	name: string,
	calls: readonly StorageCall[],
	runOne: (call: StorageCall, fail: Fail, run: number) => Promise<void>,
): Promise<number> {
	let run = 0;
	for (const call of calls) {
		const modes: Fail[] = call.method === "prepare" ? ["before"] : ["before", "after"];
		for (const fail of modes) {
			const label = `${call.binding} ${call.method} #${call.nth} (${call.target}) failing ${fail}`;
			try {
				await runOne(call, fail, run++);
			} catch (err) {
				throw new Error(`${name}, ${label}: ${(err as Error).message}`);
			}
		}
	}
	const methods: Record<string, number> = {};
	for (const c of calls) {
		methods[`${c.binding} ${c.method}`] = (methods[`${c.binding} ${c.method}`] ?? 0) + 1;
	}
	console.log(JSON.stringify({ sweep: name, calls: calls.length, runs: run, methods }));
	return run;
}
