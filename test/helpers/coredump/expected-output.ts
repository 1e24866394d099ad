/**
 * What esp-coredump's `info_corefile` printed for a real dump (expected_output), read back
 * into values a test can compare with an analysis.
 */
export interface ExpectedFrame {
	/** Null for frame 0 when gdb printed no address (the PC is at the start of a line). */
	pc: string | null;
	/** The function the PC's code belongs to: the outermost of any inlined frames gdb lists. */
	function: string | null;
}

export interface ExpectedThread {
	tcb: string;
	name: string;
	frames: ExpectedFrame[];
}

export interface ExpectedOutput {
	crashedTcb: string;
	crashedName: string;
	inIsr: boolean;
	panicReason: string;
	registers: Map<string, string>;
	/** The register lines verbatim, by name. */
	registerLines: Map<string, string>;
	table: { tcb: string; name: string; priority: number; used: number; free: number }[];
	threads: ExpectedThread[];
}

export function parseExpectedOutput(text: string): ExpectedOutput {
	const lines = text.split("\n");
	const crashed = /Crashed task handle: (0x[0-9a-f]+), name: '([^']*)'/.exec(text);
	const out: ExpectedOutput = {
		crashedTcb: crashed?.[1] ?? "",
		crashedName: crashed?.[2] ?? "",
		inIsr: text.includes("Crash happened in the interrupt context"),
		panicReason: /Panic reason: (.*)/.exec(text)?.[1] ?? "",
		registers: new Map(),
		registerLines: new Map(),
		table: [],
		threads: [],
	};
	let section = "";
	let thread: ExpectedThread | null = null;
	for (const line of lines) {
		if (line.startsWith("=====")) {
			section = line;
			const head = /THREAD \d+ \(TCB: (0x[0-9a-f]+), name: '([^']*)'\)/.exec(line);
			thread = head ? { tcb: head[1] as string, name: head[2] as string, frames: [] } : null;
			if (thread) out.threads.push(thread);
			continue;
		}
		if (section.includes("CURRENT THREAD REGISTERS")) {
			const reg = /^(\w+)\s+(0x[0-9a-f]+)/.exec(line);
			if (reg) {
				out.registers.set(reg[1] as string, reg[2] as string);
				out.registerLines.set(reg[1] as string, line);
			}
		}
		const row = /^\s*(0x[0-9a-f]+)\s+(\S+)\s+(\d+)\/\d+\s+(\d+)\/(\d+)$/.exec(line);
		if (row && section.includes("THREADS INFO")) {
			out.table.push({
				tcb: row[1] as string,
				name: row[2] as string,
				priority: Number(row[3]),
				used: Number(row[4]),
				free: Number(row[5]),
			});
		}
		const frame = /^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(/.exec(line);
		if (frame && thread) {
			const name = frame[3] === "??" ? null : (frame[3] as string);
			const pc = frame[2] ?? null;
			if (pc === null && frame[1] !== "0") {
				// An inlined frame at the same PC: the code belongs to this (outer) function.
				const last = thread.frames[thread.frames.length - 1];
				if (last) last.function = name;
			} else {
				thread.frames.push({ pc, function: name });
			}
		}
	}
	return out;
}

/**
 * gdb ends a chain whose last return address is 0 with a pseudo-frame `0x00000000 in ?? ()`
 * (RISC-V) or `0x40000000 in ?? ()` (Xtensa: 0 with the code region's top bits); the decoder
 * stops before it.
 */
export function withoutEndMarker(frames: readonly ExpectedFrame[]): ExpectedFrame[] {
	const last = frames[frames.length - 1];
	const marker =
		last && last.function === null && (last.pc === "0x00000000" || last.pc === "0x40000000");
	return marker ? frames.slice(0, -1) : [...frames];
}

/** The words of gdb's `x/…x` memory dump (CORE DUMP MEMORY CONTENTS), by address. */
export function memoryWords(text: string): Map<number, number> {
	const words = new Map<number, number>();
	for (const line of text.split("\n")) {
		const m = /^(0x[0-9a-f]+):\s+(.*)$/.exec(line);
		if (!m) continue;
		const base = Number.parseInt(m[1] as string, 16);
		(m[2] as string)
			.trim()
			.split(/\s+/)
			.forEach((word, i) => {
				words.set(base + 4 * i, Number.parseInt(word, 16));
			});
	}
	return words;
}
