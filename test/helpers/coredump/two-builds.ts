/**
 * Two builds of the app of ../shared/coredumps for end-to-end crash tests: build 1's ELF made
 * from the facts, build 2 the same code relinked (its flash code `DELTA` further on), the real
 * dump and the one build 2 would have left; and the uploads and reads the tests make through the
 * Worker, analyses coming from the real local queue.
 */
import { expect } from "vitest";
import { sha256Hex } from "../../fixtures/app-image";
import { buildChipFixtureElf, chipFacts } from "../../fixtures/elf/chip-elf";
import { appTextRange } from "../../fixtures/elf/chip-shift";
import type { Chip } from "../../fixtures/elf/coredump-facts";
import { buildFirmware } from "../../fixtures/firmware";
import { api } from "../api";
import { uploadFirmware } from "../fleet";
import { adminToken } from "../tokens";
import { rawImage, realDump } from "./real-dumps";
import { relocateDump } from "./relocate-dump";

/** How far build 2's flash code moved: a function ahead of it grew by 4 KiB. */
export const DELTA = 0x1000;
export const V1 = "1.0.0";
export const V2 = "1.1.0";

export interface Frame {
	pc: string;
	function: string | null;
	file: string | null;
	line: number | null;
}
export type Dump = Record<string, unknown> & {
	id: string;
	status: string;
	signature: string | null;
	uploaded_at: string;
	analysis: Record<string, unknown> & {
		backtrace: Frame[];
		tasks: { name: string; backtrace: Frame[] }[];
		decoded_at?: string;
	};
};
export type Group = Record<string, unknown> & { signature: string; count: number };

/** Both builds of one chip's app, and the dumps each build leaves for the one bug. */
export async function builds(chip: Chip) {
	const facts = chipFacts(chip);
	const elf1 = buildChipFixtureElf(chip);
	const elf2 = buildChipFixtureElf(chip, { shift: DELTA });
	const text = appTextRange(facts);
	const dump1 = rawImage(realDump(chip));
	const dump2 = await relocateDump(dump1, {
		...text,
		delta: DELTA,
		xtensa: chip === "esp32",
		elfSha256: await sha256Hex(elf2),
	});
	return { facts, elf1, elf2, text, dump1, dump2 };
}

export async function uploadBundle(model: string, chip: Chip, version: string, elf: Uint8Array) {
	const fw = await buildFirmware(model, { chip, version, elf });
	const res = await uploadFirmware(model, fw.zip);
	expect(res.status, await res.clone().text()).toBe(200);
	return { fw, result: await res.json<Record<string, unknown>>() };
}

/** A device's upload, as devices send it; answers the dump's id. */
export async function upload(
	device: { token: string },
	chip: Chip,
	version: string,
	body: Uint8Array | string,
): Promise<string> {
	const res = await api(`/api/iot/coredump?chip=${chip}&firmware_version=${version}`, {
		method: "POST",
		token: device.token,
		body: typeof body === "string" ? new TextEncoder().encode(body) : body,
	});
	expect(res.status, await res.clone().text()).toBe(201);
	return (await res.json<{ id: string }>()).id;
}

async function dumpOf(key: string, id: string): Promise<Dump> {
	const res = await api(`/api/devices/${key}/coredumps/${id}`, { token: await adminToken() });
	expect(res.status).toBe(200);
	return res.json<Dump>();
}

/** Polls until the dump's analysis is stored (a newer one than `after`, when given). */
export async function analysed(key: string, id: string, after?: string): Promise<Dump> {
	for (let i = 0; i < 240; i++) {
		const dump = await dumpOf(key, id);
		const at = dump.analysis.decoded_at;
		if (dump.status !== "pending" && (after === undefined || (at !== undefined && at > after))) {
			return dump;
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`dump ${id} was never analysed`);
}

export async function groups(model: string, query = ""): Promise<Group[]> {
	const res = await api(`/api/device-models/${model}/crashes${query}`, {
		token: await adminToken(),
	});
	expect(res.status, await res.clone().text()).toBe(200);
	return (await res.json<{ crashes: Group[] }>()).crashes;
}

export const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
/** Where build 2 has the code build 1 had at `pc` (hex). */
export function movedPc(pc: string, text: { start: number; end: number }): string {
	const n = Number.parseInt(pc, 16);
	return n >= text.start && n < text.end ? hex(n + DELTA) : pc;
}

/** Frames by name and line. */
export const where = (frames: Frame[]) =>
	frames.map((f) => ({ function: f.function, file: f.file, line: f.line }));
