/**
 * The same bug in two builds, end to end (SPEC §10–§11): bundles whose ELFs are built from the
 * facts of ../shared/coredumps (build 2 is the same code relinked, its flash code moved), the
 * real dumps uploaded by several devices (build 2's relocated as that relink would have left
 * them), the real local queue and the Worker's real decoder, then the crash groups as the admin
 * API answers them.
 */
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../fixtures/app-image";
import { functionSymbol } from "../fixtures/elf/chip-targets";
import { api } from "../helpers/api";
import { realDump } from "../helpers/coredump/real-dumps";
import { relocateDump, uartLines } from "../helpers/coredump/relocate-dump";
import {
	analysed,
	builds,
	type Dump,
	groups,
	hex,
	movedPc,
	upload,
	uploadBundle,
	V1,
	V2,
	where,
} from "../helpers/coredump/two-builds";
import { createDevice, createModel } from "../helpers/fleet";
import { adminToken } from "../helpers/tokens";

const run = crypto.randomUUID().slice(0, 6);
/**
 * gdb's crashed-task frames below the panic machinery are fail_once ← (ROM) ← app_main ←
 * main_task on both esp32 and esp32c3; the title names the first two.
 */
const TITLE = "abort() in fail_once ← app_main";

describe.each(["esp32c3", "esp32"] as const)("the same bug in two builds (%s)", (chip) => {
	it("decodes each build's dumps with their own PCs into one group, a second site into another, and never counts twice", async () => {
		const { facts, elf1, elf2, text, dump1, dump2 } = await builds(chip);
		const model = await createModel(`tb_${run}_${chip}`, chip);
		await uploadBundle(model, chip, V1, elf1);
		await uploadBundle(model, chip, V2, elf2);
		const [a, b, c] = [
			await createDevice(model),
			await createDevice(model),
			await createDevice(model),
		];
		const uart = realDump(chip).uart;
		// Four dumps of the bug from three devices, raw and as UART text, on both builds.
		const uploads = [
			[a, V1, dump1],
			[b, V1, uart],
			[b, V2, dump2],
			[c, V2, uartLines(dump2, uart)],
		] as const;
		const dumps: Dump[] = [];
		for (const [device, version, body] of uploads) {
			dumps.push(await analysed(device.key, await upload(device, chip, version, body)));
		}
		for (const dump of dumps) expect(dump.status).toBe("decoded");
		const [one, , two] = dumps as [Dump, Dump, Dump, Dump];
		expect(one.analysis).toMatchObject({ firmware_version: V1, matched_by: "firmware_version" });
		const sha2 = await sha256Hex(elf2);
		expect(two.analysis).toMatchObject({ firmware_version: V2, matched_by: "elf_sha256" });
		expect(sha2.startsWith(String(two.analysis.elf_sha256_prefix))).toBe(true);
		expect(sha2.startsWith(String(one.analysis.elf_sha256_prefix))).toBe(false);

		// Build 1 decodes at gdb's PCs; build 2 at its own, by name and line the same frames.
		const failOnce = facts.targets.find((t) => t.function === "fail_once" && t.kind === "caller");
		const frames1 = one.analysis.backtrace;
		const frames2 = two.analysis.backtrace;
		expect(frames1.find((f) => f.function === "fail_once")?.pc).toBe(hex(failOnce?.pc ?? 0));
		const moved = (pc: string) => movedPc(pc, text);
		expect(frames1.filter((f) => moved(f.pc) !== f.pc).length).toBeGreaterThanOrEqual(3);
		expect(frames2.map((f) => f.pc)).toEqual(frames1.map((f) => moved(f.pc)));
		expect(where(frames2)).toEqual(where(frames1));
		expect(where(frames1).filter((f) => f.function !== null)).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ function: "fail_once", line: 14 }),
				expect.objectContaining({ function: "app_main", line: 20 }),
				expect.objectContaining({ function: "main_task", line: 208 }),
			]),
		);
		// So does every other task (timer_task and the idle hook run from flash too).
		const tasks1 = one.analysis.tasks;
		const tasks2 = two.analysis.tasks;
		expect(tasks2.map((t) => t.name)).toEqual(tasks1.map((t) => t.name));
		expect(tasks2.map((t) => t.backtrace.map((f) => f.pc))).toEqual(
			tasks1.map((t) => t.backtrace.map((f) => moved(f.pc))),
		);
		expect(tasks2.map((t) => where(t.backtrace))).toEqual(tasks1.map((t) => where(t.backtrace)));
		expect(tasks1.flatMap((t) => t.backtrace).map((f) => f.function)).toContain("timer_task");

		const signature = one.signature;
		expect(signature).toMatch(/^[0-9a-f]{16}$/);
		for (const dump of dumps) expect(dump.signature).toBe(signature);
		const last = dumps[3] as Dump;
		const bug = {
			signature,
			title: TITLE,
			kind: "abort",
			frames: ["fail_once", "app_main", "main_task"],
			symbolized: true,
			count: 4,
			device_count: 3,
			firmware_versions: [V1, V2],
			first_seen: one.uploaded_at,
			last_seen: last.uploaded_at,
			latest_coredump: { device_key: c.key, id: last.id },
		};
		expect(await groups(model)).toEqual([expect.objectContaining(bug)]);

		// The same dump with abort called from another function: its caller's return address
		// (and every pointer into fail_once) now points at the call in timer_task. The call to
		// abort (noreturn) can end fail_once, so its return address is then fail_once's end.
		const fail = functionSymbol(facts, { name: "fail_once" });
		const timer = facts.targets.find((t) => t.function === "timer_task" && t.kind === "caller");
		if (!fail || !failOnce || !timer) throw new Error(`${chip}: no fail_once or timer_task`);
		const otherSite = await relocateDump(dump1, {
			start: fail.value,
			end: Math.max(fail.value + fail.size, failOnce.pc + 1),
			delta: timer.pc - failOnce.pc,
			xtensa: chip === "esp32",
		});
		const other = await analysed(a.key, await upload(a, chip, V1, otherSite));
		expect(other.status).toBe("decoded");
		expect(other.signature).toMatch(/^[0-9a-f]{16}$/);
		expect(other.signature).not.toBe(signature);
		const both = await groups(model);
		expect(both).toHaveLength(2);
		expect(both.find((g) => g.signature === signature)).toMatchObject({ count: 4 });
		expect(both.find((g) => g.signature === other.signature)).toMatchObject({
			kind: "abort",
			count: 1,
			device_count: 1,
			firmware_versions: [V1],
			title: expect.stringMatching(/^abort\(\) in timer_task/),
		});

		// Analysing dumps again changes no figure.
		for (const dump of [one, last, other]) {
			const key = dump === last ? c.key : a.key;
			const res = await api(`/api/devices/${key}/coredumps/${dump.id}/analyze`, {
				method: "POST",
				token: await adminToken(),
			});
			expect(res.status).toBe(202);
			const again = await analysed(key, dump.id, dump.analysis.decoded_at);
			expect(again.signature).toBe(dump.signature);
		}
		expect(await groups(model)).toEqual(both);

		// Filtered by build 2: the bug with build 2's dumps only.
		expect(await groups(model, `?firmware_version=${V2}`)).toEqual([
			expect.objectContaining({
				...bug,
				count: 2,
				device_count: 2,
				firmware_versions: [V2],
				first_seen: two.uploaded_at,
				last_seen: last.uploaded_at,
			}),
		]);
		const old = await groups(model, `?firmware_version=${V1}`);
		expect(old.map((g) => [g.signature, g.count, g.device_count]).sort()).toEqual(
			[
				[signature, 2, 2],
				[other.signature, 1, 1],
			].sort(),
		);
	}, 120_000);
});

describe("the same bug in two builds (esp32c6: header 1.4, SHA-256 checksum)", () => {
	it("groups build 1's dump and build 2's relocated one, whose SHA-256 was computed again", async () => {
		const chip = "esp32c6";
		const { facts, elf1, elf2, text, dump1, dump2 } = await builds(chip);
		const model = await createModel(`tb_${run}_${chip}`, chip);
		await uploadBundle(model, chip, V1, elf1);
		await uploadBundle(model, chip, V2, elf2);
		const [a, b] = [await createDevice(model), await createDevice(model)];
		const one = await analysed(a.key, await upload(a, chip, V1, dump1));
		const two = await analysed(
			b.key,
			await upload(b, chip, V2, uartLines(dump2, realDump(chip).uart)),
		);
		for (const dump of [one, two]) {
			expect(dump).toMatchObject({
				status: "decoded",
				analysis: { dump_version: "1.4", checksum: "sha256" },
			});
		}
		expect(two.analysis).toMatchObject({ firmware_version: V2, matched_by: "elf_sha256" });
		const frames1 = one.analysis.backtrace;
		const failOnce = facts.targets.find((t) => t.function === "fail_once" && t.kind === "caller");
		expect(frames1.find((f) => f.function === "fail_once")?.pc).toBe(hex(failOnce?.pc ?? 0));
		expect(two.analysis.backtrace.map((f) => f.pc)).toEqual(
			frames1.map((f) => movedPc(f.pc, text)),
		);
		expect(where(two.analysis.backtrace)).toEqual(where(frames1));
		expect(two.signature).toBe(one.signature);
		// gdb stops at the ROM frame under fail_once (no ROM ELF for this chip); what the decoder
		// finds below it depends on the fixture ELF, so only the first name is held here.
		expect(await groups(model)).toEqual([
			expect.objectContaining({
				signature: one.signature,
				title: expect.stringMatching(/^abort\(\) in fail_once/),
				count: 2,
				device_count: 2,
				firmware_versions: [V1, V2],
			}),
		]);
	}, 120_000);
});
