/**
 * Storage faults under the analysis consumer, swept like the firmware ones: a clean delivery is
 * recorded, then each of its R2 and D1 calls fails in turn, before it reaches storage and after it
 * took effect with its answer lost. Each time the message is either retried or acknowledged with
 * the analysis stored; a second, clean delivery then leaves exactly one analysed dump counted once
 * in its group: nothing lost, nothing counted twice.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildFirmware } from "../fixtures/firmware";
import { CrashPipeline, coredumpJson, crashGroups } from "../helpers/crash-pipeline";
import { elfPrefix, fakeDecoder, fakeDump, fakeElf } from "../helpers/fake-decoder";
import {
	type D1Method,
	type FaultRule,
	faultyBucket,
	faultyDatabase,
	type R2Method,
} from "../helpers/faulty-bindings";
import { createDevice, createModel } from "../helpers/fleet";

const FUNCTIONS = { 1107296272: "fail_once", 1107296768: "app_main" };

async function given(code: string) {
	const pipeline = new CrashPipeline();
	await createModel(code, "esp32c3");
	const device = await createDevice(code);
	const elf = fakeElf(FUNCTIONS);
	await pipeline.uploadFirmware(
		code,
		(await buildFirmware(code, { chip: "esp32c3", version: "1.0.0", elf })).zip,
	);
	pipeline.queue.take();
	const id = await pipeline.uploadDump(
		device,
		fakeDump({ kind: "abort", pcs: [0x42000014, 0x42000210], elf: await elfPrefix(elf) }),
		"1.0.0",
	);
	pipeline.queue.take();
	return { pipeline, device, id };
}

describe("storage faults in the analysis consumer", () => {
	it("every storage call can fail; the dump is retried or stored, and counted once", async () => {
		const clean = await given("af_clean");
		const r2 = faultyBucket(env.BLOBS, []);
		const d1 = faultyDatabase(env.DB, []);
		await clean.pipeline.deliver(fakeDecoder(), {
			ids: [clean.id],
			bindings: { BLOBS: r2.bucket, DB: d1.database },
		});
		expect((await coredumpJson(clean.pipeline, clean.device.key, clean.id)).status).toBe("decoded");
		const calls: { binding: "r2" | "d1"; method: string; nth: number }[] = [];
		for (const [binding, log] of [
			["r2", r2.calls()],
			["d1", d1.calls()],
		] as const) {
			const seen = new Map<string, number>();
			for (const call of log) {
				const method = call.split(" ")[0] ?? "";
				const nth = (seen.get(method) ?? 0) + 1;
				seen.set(method, nth);
				calls.push({ binding, method, nth });
			}
		}
		expect(calls.some((c) => c.binding === "r2")).toBe(true);
		expect(calls.some((c) => c.binding === "d1")).toBe(true);

		let run = 0;
		for (const call of calls) {
			for (const fail of call.method === "prepare"
				? (["before"] as const)
				: (["before", "after"] as const)) {
				const label = `${call.binding} ${call.method} #${call.nth} failing ${fail}`;
				const code = `af_${run++}`;
				const subject = await given(code);
				const rule = { method: call.method, nth: call.nth, fail };
				const faultyR2 = faultyBucket(
					env.BLOBS,
					call.binding === "r2" ? [rule as FaultRule<R2Method>] : [],
				);
				const faultyD1 = faultyDatabase(
					env.DB,
					call.binding === "d1" ? [rule as FaultRule<D1Method>] : [],
				);
				const decoder = fakeDecoder();
				const first = await subject.pipeline.deliver(decoder, {
					ids: [subject.id],
					bindings: { BLOBS: faultyR2.bucket, DB: faultyD1.database },
				});
				expect(faultyR2.fired() + faultyD1.fired(), label).toBe(1);
				const status = (await coredumpJson(subject.pipeline, subject.device.key, subject.id))
					.status;
				if (first.retryMessages.length === 0) expect(status, label).toBe("decoded");
				await subject.pipeline.deliver(decoder, { ids: [subject.id] });
				expect(
					(await coredumpJson(subject.pipeline, subject.device.key, subject.id)).status,
					label,
				).toBe("decoded");
				const groups = await crashGroups(subject.pipeline, code);
				expect(
					groups.map((g) => g.count),
					label,
				).toEqual([1]);
			}
		}
	}, 300_000);
});
