import { type FrameEntry, readFrameEntries } from "../dwarf/frame-entries";
import { elfError } from "../elf/elf-error";
import type { ElfFile, ElfSection } from "../elf/elf-file";
import { ByteBlob, GrowableU32 } from "../elf/growable";
import type { ByteSource } from "../zip/byte-source";
import { type Breakpoints, newIntervals, resolveIntervals } from "./intervals";

export interface FrameLimits {
	maxFrameEntries: number;
	chunkBytes: number;
}

/**
 * The FDEs of `.debug_frame` and `.eh_frame` that cover code, written to a blob (see format.ts)
 * and flattened into breakpoints whose payload is an FDE's offset in the blob. Where both
 * sections cover a PC, `.debug_frame` wins.
 */
export async function readFrames(
	source: ByteSource,
	elf: ElfFile,
	code: ElfSection[],
	limits: FrameLimits,
): Promise<{ frames: Breakpoints; cfi: Uint8Array }> {
	const blob = new ByteBlob();
	const fields = new GrowableU32();
	let rank = 0;
	const add = (entry: FrameEntry) => {
		if (!code.some((s) => entry.pcBegin >= s.addr && entry.pcBegin < s.addr + s.size)) return;
		if (fields.length / 4 >= limits.maxFrameEntries) {
			throw elfError("ELF_INDEX_TOO_LARGE", "too many call-frame entries", {
				limit: limits.maxFrameEntries,
			});
		}
		fields.push(entry.pcBegin);
		fields.push(entry.pcEnd - entry.pcBegin);
		fields.push(rank);
		fields.push(blob.append(encodeEntry(entry)));
	};
	const options = { maxEntries: limits.maxFrameEntries * 4, chunkBytes: limits.chunkBytes };
	await readFrameEntries(source, elf, ".debug_frame", add, options);
	rank = 1;
	await readFrameEntries(source, elf, ".eh_frame", add, options);
	const count = fields.length / 4;
	const set = newIntervals(count);
	for (let i = 0; i < count; i++) {
		set.start[i] = fields.get(i * 4);
		set.end[i] = fields.get(i * 4) + fields.get(i * 4 + 1);
		set.rank[i] = fields.get(i * 4 + 2);
		set.tie[i] = i;
		set.payload[i] = fields.get(i * 4 + 3);
	}
	return { frames: resolveIntervals(set), cfi: blob.view().slice() };
}

/** u32 length, then pcBegin, pcEnd (u32), code align, data align, RA register, the programs. */
function encodeEntry(entry: FrameEntry): Uint8Array {
	const body: number[] = [];
	const u32 = (v: number) => body.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
	u32(entry.pcBegin);
	u32(Math.min(entry.pcEnd, 0xffffffff));
	uleb(body, entry.codeAlign);
	sleb(body, entry.dataAlign);
	uleb(body, entry.returnAddressRegister);
	for (const program of [entry.cieInstructions, entry.fdeInstructions]) {
		uleb(body, program.length);
		for (const byte of program) body.push(byte);
	}
	const out = new Uint8Array(4 + body.length);
	new DataView(out.buffer).setUint32(0, body.length, true);
	out.set(body, 4);
	return out;
}

function uleb(out: number[], value: number): void {
	let v = value;
	do {
		const byte = v % 128;
		v = Math.floor(v / 128);
		out.push(v > 0 ? byte | 0x80 : byte);
	} while (v > 0);
}

function sleb(out: number[], value: number): void {
	let v = value;
	for (;;) {
		const byte = ((v % 128) + 128) % 128;
		v = Math.floor(v / 128);
		const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
		out.push(done ? byte : byte | 0x80);
		if (done) return;
	}
}
