/**
 * A dump of a build whose ELF is not there yet (SPEC §11), end to end: the real dump of build 2
 * of ../shared/coredumps' app is analysed unsymbolized through the real local queue, grouped by
 * PCs, and moves to the bug's real group once the build's bundle attaches its ELF.
 */
import { describe, expect, it } from "vitest";
import { buildFirmware } from "../fixtures/firmware";
import {
	analysed,
	builds,
	groups,
	upload,
	uploadBundle,
	V1,
	V2,
} from "../helpers/coredump/two-builds";
import { createDevice, createModel, uploadFirmware } from "../helpers/fleet";

const run = crypto.randomUUID().slice(0, 6);

describe("a dump of a build whose ELF arrives later", () => {
	it("groups by PCs, then moves to the bug's group once the bundle attaches the ELF", async () => {
		const chip = "esp32";
		const { elf1, elf2, dump1, dump2 } = await builds(chip);
		const model = await createModel(`tb_${run}_late`, chip);
		const [a, b] = [await createDevice(model), await createDevice(model)];
		await uploadBundle(model, chip, V1, elf1);
		const first = await analysed(a.key, await upload(a, chip, V1, dump1));
		expect(first.status).toBe("decoded");

		// Build 2 is first uploaded bare: no ELF to decode its dump against.
		const fw2 = await buildFirmware(model, { chip, version: V2, elf: elf2 });
		const bare = await uploadFirmware(model, fw2.image);
		expect(bare.status).toBe(200);
		expect(await bare.json()).toMatchObject({ format: "bin", attached: false });
		const id = await upload(b, chip, V2, dump2);
		const early = await analysed(b.key, id);
		expect(early).toMatchObject({
			status: "unsymbolized",
			analysis: { matched_by: null, firmware_version: V2 },
		});
		expect(early.signature).toMatch(/^pc:[0-9a-f]{16}$/);
		const provisional = await groups(model);
		expect(provisional).toHaveLength(2);
		expect(provisional.find((g) => g.signature === early.signature)).toMatchObject({
			symbolized: false,
			count: 1,
			firmware_versions: [V2],
		});

		// The bundle attaches build 2's ELF; the dump is analysed again from the queue.
		const res = await uploadFirmware(model, fw2.zip);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ format: "zip", attached: true });
		const late = await analysed(b.key, id, early.analysis.decoded_at);
		expect(late).toMatchObject({
			status: "decoded",
			signature: first.signature,
			analysis: { matched_by: "elf_sha256", firmware_version: V2 },
		});
		expect(await groups(model)).toEqual([
			expect.objectContaining({
				signature: first.signature,
				title: "abort() in fail_once ← app_main",
				symbolized: true,
				count: 2,
				device_count: 2,
				firmware_versions: [V1, V2],
				latest_coredump: { device_key: b.key, id },
			}),
		]);
	}, 120_000);
});
