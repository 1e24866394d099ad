import { type ElfSection, EM_XTENSA, SHT_PROGBITS } from "../elf/elf-file";
import { RangeReader } from "../elf/range-reader";
import type { ByteSource } from "../zip/byte-source";

/** A code section's call map: bit i set when an instruction ending at addr + i is a linking call. */
export interface CallMap {
	section: ElfSection;
	bits: Uint8Array;
}

/** Instruction decoding restarts at `codeMarks` and pauses from a `dataMarks` until the next. */
export interface Marks {
	codeMarks: Uint32Array;
	dataMarks: Uint32Array;
}

/**
 * Decodes the code sections linearly, restarting at every symbol (and RISC-V `$x` mapping
 * symbol) so literal pools and data between functions cannot shift the decoding for long, and
 * marks where each linking call ends: RISC-V `jal`/`jalr` writing ra, `c.jal`, `c.jalr`;
 * Xtensa `call0/4/8/12`, `callx0/4/8/12`. One chunk of code is in memory at a time.
 */
export async function scanCallSites(
	source: ByteSource,
	machine: number,
	code: ElfSection[],
	marks: Marks,
	chunkBytes: number,
): Promise<CallMap[]> {
	const maps: CallMap[] = [];
	for (const section of code) {
		if (section.type !== SHT_PROGBITS) continue;
		const bits = new Uint8Array(Math.ceil((section.size + 1) / 8));
		const r = new RangeReader(source, section.offset, section.size, section.name, chunkBytes);
		const decode = machine === EM_XTENSA ? decodeXtensa : decodeRiscv;
		const restarts = pointsIn(marks.codeMarks, section);
		const pauses = pointsIn(marks.dataMarks, section);
		let ri = 0; // restarts[ri - 1] <= p < restarts[ri]
		let pi = 0; // the same for pauses
		let p = 0;
		while (p < section.size) {
			while (ri < restarts.length && (restarts[ri] as number) <= p) ri++;
			while (pi < pauses.length && (pauses[pi] as number) <= p) pi++;
			const nextMark = Math.min(restarts[ri] ?? section.size, pauses[pi] ?? section.size);
			const lastRestart = ri > 0 ? (restarts[ri - 1] as number) : -1;
			if (pi > 0 && (pauses[pi - 1] as number) > lastRestart) {
				p = restarts[ri] ?? section.size; // data until the next instruction mark
				continue;
			}
			if (r.pos !== p || r.available() < 4) {
				r.seek(p);
				await r.fill(4);
			}
			const decoded = decode(r, section.size - p);
			const length = decoded >> 1;
			if (p + length > nextMark) {
				p = nextMark; // it ran over a mark: not an instruction after all
				continue;
			}
			if (decoded & 1) {
				const end = p + length;
				bits[end >> 3] = (bits[end >> 3] as number) | (1 << (end & 7));
			}
			p += length;
		}
		maps.push({ section, bits });
	}
	return maps;
}

/** Marks inside the section, as offsets from its start. */
function pointsIn(points: Uint32Array, section: ElfSection): number[] {
	const out: number[] = [];
	for (const point of points) {
		if (point >= section.addr && point < section.addr + section.size)
			out.push(point - section.addr);
	}
	return out;
}

/** An instruction's length, shifted left by one, with bit 0 set when it is a linking call. */
type Decoded = number;
const decoded = (length: number, call: boolean): Decoded => (length << 1) | (call ? 1 : 0);

function decodeRiscv(r: RangeReader, left: number): Decoded {
	if (left < 2) return decoded(left, false);
	const low = r.u16();
	if ((low & 0x3) !== 0x3) {
		const cJal = (low & 0xe003) === 0x2001;
		const cJalr = (low & 0xf07f) === 0x9002 && ((low >> 7) & 0x1f) !== 0;
		return decoded(2, cJal || cJalr);
	}
	if ((low & 0x1c) === 0x1c) return decoded(2, false); // 48-bit and longer: resync by halves
	if (left < 4) return decoded(left, false);
	const word = (r.u16() << 16) | low;
	const opcode = word & 0x7f;
	const rd = (word >> 7) & 0x1f;
	const jal = opcode === 0x6f && rd === 1;
	const jalr = opcode === 0x67 && ((word >> 12) & 0x7) === 0 && rd === 1;
	return decoded(4, jal || jalr);
}

function decodeXtensa(r: RangeReader, left: number): Decoded {
	const b0 = r.u8();
	const op0 = b0 & 0x0f;
	if (op0 >= 8 && op0 <= 13) {
		if (left >= 2) r.u8();
		return decoded(Math.min(2, left), false);
	}
	if (left < 3) return decoded(left, false);
	const b1 = r.u8();
	const b2 = r.u8();
	const call = op0 === 5 || (op0 === 0 && (b0 & 0xc0) === 0xc0 && (b1 & 0xf0) === 0 && b2 === 0);
	return decoded(3, call);
}
