import type { Frame } from "./analysis";
import { hex } from "./hex";
import type { RawFrame } from "./raw-frame";
import type { Symbolizer } from "./symbolizer";

/**
 * Names frames as gdb does: a caller's PC is its return address, but its function and line
 * are those of the call, looked up at return address − 1; `offset` is PC − function start.
 * ROM frames get no name (the app's ELF does not describe ROM code), nor does any frame when
 * no ELF matched.
 */
export async function symbolizeFrames(
	frames: readonly RawFrame[],
	symbolizer: Symbolizer | null,
): Promise<Frame[]> {
	const out: Frame[] = [];
	for (const frame of frames) {
		const named: Frame = {
			pc: hex(frame.pc),
			function: null,
			offset: null,
			file: null,
			line: null,
			kind: frame.kind,
		};
		if (symbolizer && frame.kind !== "rom") {
			const at = frame.caller ? (frame.pc - 1) >>> 0 : frame.pc;
			const [fn, line] = await Promise.all([symbolizer.functionAt(at), symbolizer.lineAt(at)]);
			if (fn) {
				named.function = fn.name;
				named.offset = frame.pc - fn.address;
			}
			if (line) {
				named.file = line.file;
				named.line = line.line;
			}
		}
		out.push(named);
	}
	return out;
}
