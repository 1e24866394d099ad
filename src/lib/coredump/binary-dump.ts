import { chipById, chipMemory, inRanges, isFakeStackAddress } from "./chip-memory";
import type { DecodedDump, RawException, RawTask } from "./decoded";
import { corrupt } from "./dump-error";
import { MAX_TASKS } from "./elf-notes";
import type { DumpHeader } from "./header";
import { Memory, type MemorySegment } from "./memory";
import { registersFromStack } from "./stack-frames";

const MIN_TCB = 64;
const MAX_TCB = 4096;
const MAX_SEGMENTS = 1024;

/**
 * A binary-format dump (versions 0.1–0.3, `core_dump_binary.c`): per task a header (TCB
 * address, stack start, stack end), the TCB (tcb_sz bytes) and the stack, each 4-byte
 * aligned, crashed task first; then (0.2+) mem_segs_num memory segments (start, size, data),
 * e.g. the task stack an ISR crash interrupted. Registers come from the frame at each stack's
 * top; there is no panic reason, ISR flag or ELF SHA in this format.
 */
export function decodeBinaryDump(body: Uint8Array, header: DumpHeader): DecodedDump {
	const chip = chipById(header.chipId);
	if (!chip) throw corrupt("unknown chip");
	const memoryMap = chipMemory(chip.name, chip.arch);
	const { taskCount, tcbSize } = header;
	if (tcbSize < MIN_TCB || tcbSize > MAX_TCB) throw corrupt(`implausible TCB size ${tcbSize}`);
	if (taskCount === 0 || taskCount > MAX_TASKS || taskCount * (12 + tcbSize) > body.length) {
		throw corrupt(`implausible task count ${taskCount}`);
	}
	if (header.segmentCount > MAX_SEGMENTS) throw corrupt("implausible memory segment count");
	const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
	const take = (at: number, length: number, what: string): Uint8Array => {
		if (length > body.length - at) throw corrupt(`${what} runs past the end of the dump`);
		return body.subarray(at, at + length);
	};
	const segments: MemorySegment[] = [];
	const tasks: RawTask[] = [];
	let exception: RawException | null = null;
	let at = 0;
	for (let i = 0; i < taskCount; i++) {
		const head = take(at, 12, `task ${i}`);
		const tcb = view.getUint32(at, true);
		const stackStart = view.getUint32(at + 4, true);
		const stackEnd = view.getUint32(at + 8, true);
		const tcbBytes = take(at + 12, tcbSize, `task ${i}'s TCB`);
		const low = Math.min(stackStart, stackEnd);
		const stack = take(
			at + 12 + align4(tcbSize),
			Math.abs(stackEnd - stackStart),
			`task ${i}'s stack`,
		);
		at += head.length + align4(tcbSize) + align4(stack.length);
		const tcbSane = inRanges(memoryMap.data, tcb) && inRanges(memoryMap.data, tcb + tcbSize - 1);
		if (tcbSane) segments.push({ start: tcb, bytes: tcbBytes });
		const fake = isFakeStackAddress(memoryMap, low) || stack.length === 0;
		if (!fake) segments.push({ start: low, bytes: stack });
		const frame = fake ? null : registersFromStack(chip.arch, stack);
		if (i === 0) exception = frame?.exception ?? null;
		tasks.push({
			tcb,
			tcbBytes: tcbSane ? tcbBytes : null,
			registers: frame?.registers ?? null,
			stack: fake ? null : { start: low, end: low + stack.length },
		});
	}
	for (let i = 0; i < header.segmentCount; i++) {
		take(at, 8, `memory segment ${i}`);
		const start = view.getUint32(at, true);
		const size = view.getUint32(at + 4, true);
		segments.push({ start, bytes: take(at + 8, size, `memory segment ${i}`) });
		at += 8 + align4(size);
	}
	return {
		format: "binary",
		dumpVersion: `${header.major}.${header.minor}`,
		checksum: header.checksum,
		chip: chip.name,
		chipRev: header.chipRev,
		arch: chip.arch,
		memoryMap,
		elfSha256Prefix: null,
		crashedTcb: tasks[0]?.tcb ?? null,
		inIsr: null,
		panicReason: null,
		exception: validException(exception),
		tasks,
		memory: new Memory(segments),
	};
}

/** ESP-IDF writes 0xFFFF as EXCCAUSE of frames that hold no exception. */
function validException(exception: RawException | null): RawException | null {
	return exception?.arch === "xtensa" && exception.exccause === 0xffff ? null : exception;
}

function align4(n: number): number {
	return n + ((4 - (n % 4)) % 4);
}
