/**
 * One consumer builds a given ELF's index at a time (migrations/0005, src/services/elf-index.ts):
 * a consumer that finds another's claim waits for that index and builds nothing; a claim whose
 * lease ran out is taken over; every build, failed or not, lets go of its claim.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claimIndexBuild, recordElfIndex, releaseIndexBuild } from "../../src/db/firmware-elfs";
import { elfIndexKey } from "../../src/storage/keys";
import { buildFirmware } from "../fixtures/firmware";
import { CrashPipeline, coredumpJson } from "../helpers/crash-pipeline";
import { elfPrefix, fakeDecoder, fakeDump, fakeElf } from "../helpers/fake-decoder";
import { createDevice, createModel } from "../helpers/fleet";

const FUNCTIONS = { 1107296272: "fail_once", 1107296768: "app_main" };
const PCS = [0x42000014, 0x42000210];

async function sha256Hex(bytes: Uint8Array): Promise<string> {
	return elfPrefix(bytes, 64);
}

/** A model with a bundle whose ELF is `elf`, and one uploaded dump naming that ELF. */
async function crashedModel(code: string, elf: Uint8Array) {
	const pipeline = new CrashPipeline();
	await createModel(code, "esp32c3");
	const device = await createDevice(code);
	const fw = await buildFirmware(code, { chip: "esp32c3", version: "1.0.0", elf });
	await pipeline.uploadFirmware(code, fw.zip);
	const dump = fakeDump({ kind: "abort", pcs: PCS, elf: await elfPrefix(elf) });
	const id = await pipeline.uploadDump(device, dump, "1.0.0");
	return { pipeline, device, id, elfSha256: await sha256Hex(elf) };
}

async function claimsOf(model: string): Promise<{ holder: string }[]> {
	const { results } = await env.DB.prepare(
		"SELECT holder FROM elf_index_builds WHERE model_code = ?1",
	)
		.bind(model)
		.all<{ holder: string }>();
	return results;
}

describe("the claim on building an ELF's index", () => {
	it("is won by one claimant at a time and released only by its holder", async () => {
		await createModel("ib_claims", "esp32c3");
		const sha = "ab".repeat(32);
		const claim = (holder: string, nowMs: number) =>
			claimIndexBuild(env.DB, { model: "ib_claims", elfSha256: sha, holder, nowMs, leaseMs: 1000 });
		expect(await claim("a", 10_000)).toBe(true);
		expect(await claim("b", 10_500)).toBe(false);
		await releaseIndexBuild(env.DB, { model: "ib_claims", elfSha256: sha, holder: "b" });
		expect(await claim("b", 10_900)).toBe(false);
		// The lease ran out: the next claimant takes it over, and the old holder's release
		// no longer frees what it lost.
		expect(await claim("b", 11_000)).toBe(true);
		await releaseIndexBuild(env.DB, { model: "ib_claims", elfSha256: sha, holder: "a" });
		expect(await claimsOf("ib_claims")).toEqual([{ holder: "b" }]);
		await releaseIndexBuild(env.DB, { model: "ib_claims", elfSha256: sha, holder: "b" });
		expect(await claimsOf("ib_claims")).toEqual([]);
		expect(await claim("c", 11_001)).toBe(true);
	});

	it("makes a consumer wait for the index another consumer is building, and build nothing", async () => {
		const elf = fakeElf(FUNCTIONS, "wait");
		const { pipeline, device, id, elfSha256 } = await crashedModel("ib_wait", elf);
		// Another isolate holds the claim and is building.
		const other = { model: "ib_wait", elfSha256, holder: "other-isolate" };
		expect(await claimIndexBuild(env.DB, { ...other, nowMs: Date.now(), leaseMs: 60_000 })).toBe(
			true,
		);
		const decoder = fakeDecoder();
		const delivering = pipeline.deliver(decoder);
		// …and finishes while this consumer waits: the fake decoder's index is the ELF itself.
		await new Promise((resolve) => setTimeout(resolve, 300));
		const key = elfIndexKey("ib_wait", elfSha256);
		await env.BLOBS.put(key, elf);
		await recordElfIndex(env.DB, {
			model: "ib_wait",
			elfSha256,
			key,
			size: elf.byteLength,
			builtAt: new Date().toISOString(),
		});
		await releaseIndexBuild(env.DB, other);

		const result = await delivering;
		expect(result.retryMessages).toEqual([]);
		expect(decoder.log.indexBuilds).toBe(0);
		expect(decoder.log.indexOpens).toBe(1);
		const dump = await coredumpJson(pipeline, device.key, id);
		expect(dump.status).toBe("decoded");
		expect((dump.analysis.backtrace as { function: string }[]).map((f) => f.function)).toEqual([
			"fail_once",
			"app_main",
		]);
	});

	it("is taken over when its lease ran out without an index, and let go after the build", async () => {
		const elf = fakeElf(FUNCTIONS, "expired");
		const { pipeline, device, id, elfSha256 } = await crashedModel("ib_expired", elf);
		// A builder that died two minutes ago, its lease long over.
		await claimIndexBuild(env.DB, {
			model: "ib_expired",
			elfSha256,
			holder: "dead-isolate",
			nowMs: Date.now() - 200_000,
			leaseMs: 60_000,
		});
		const decoder = fakeDecoder();
		await pipeline.deliver(decoder);
		expect(decoder.log.indexBuilds).toBe(1);
		expect((await coredumpJson(pipeline, device.key, id)).status).toBe("decoded");
		expect(await claimsOf("ib_expired")).toEqual([]);
		expect(await env.BLOBS.head(elfIndexKey("ib_expired", elfSha256))).not.toBeNull();
	});

	it("is let go when the ELF cannot be indexed, so the claim never outlives the attempt", async () => {
		const notAnElf = new TextEncoder().encode("this is not an ELF at all, nor a fake one");
		const { pipeline, device, id } = await crashedModel("ib_unusable", notAnElf);
		const decoder = fakeDecoder();
		const result = await pipeline.deliver(decoder);
		expect(result.retryMessages).toEqual([]);
		expect(decoder.log.indexBuilds).toBe(1);
		expect((await coredumpJson(pipeline, device.key, id)).status).toBe("unsymbolized");
		expect(await claimsOf("ib_unusable")).toEqual([]);
	});
});
