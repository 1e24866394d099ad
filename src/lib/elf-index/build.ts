import { readLineTable } from "../dwarf/line-table";
import { elfError } from "../elf/elf-error";
import { codeSections, readElfFile } from "../elf/elf-file";
import { ByteBlob } from "../elf/growable";
import { DEFAULT_CHUNK_BYTES } from "../elf/range-reader";
import { readCodeSymbols } from "../elf/symbols";
import type { ByteSource } from "../zip/byte-source";
import { scanCallSites } from "./call-sites";
import { readFrames } from "./frame-ranges";
import { functionBreakpoints } from "./function-ranges";
import { writeIndex } from "./index-writer";

/** Bounds on what one index holds; the defaults fit the largest firmware ELFs with room. */
export interface ElfIndexOptions {
	/** Bytes per ranged read of a section (default 1 MiB). */
	chunkBytes?: number;
	/** Function symbols in code (default 1 Mi). */
	maxSymbols?: number;
	/** Line table rows after merging (default 2 Mi, 24 MiB of index). */
	maxLineRows?: number;
	/** FDEs covering code (default 1 Mi). */
	maxFrameEntries?: number;
	/** Bytes of code sections (default 64 MiB: 8 MiB of call bits). */
	maxCodeBytes?: number;
}

/**
 * Builds the index a crash decoder needs (see format.ts) from a firmware ELF read by ranges:
 * symbols and code ranges, the `.debug_line` table as gdb reads it, the FDEs of `.debug_frame`
 * and `.eh_frame`, and where calls end. Memory stays bounded by the index being built plus one
 * chunk of the section being read, whatever the ELF's size. Throws ELF_INVALID, ELF_UNSUPPORTED
 * or ELF_INDEX_TOO_LARGE.
 */
export async function buildElfIndex(
	elf: ByteSource,
	options: ElfIndexOptions = {},
): Promise<Uint8Array> {
	const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
	const file = await readElfFile(elf);
	const code = codeSections(file);
	const codeBytes = code.reduce((sum, s) => sum + s.size, 0);
	const maxCodeBytes = options.maxCodeBytes ?? 64 * 1024 * 1024;
	if (codeBytes > maxCodeBytes) {
		throw elfError("ELF_INDEX_TOO_LARGE", "too much code", { limit: maxCodeBytes });
	}
	const strings = new ByteBlob();
	const symbols = await readCodeSymbols(elf, file, code, strings, {
		maxSymbols: options.maxSymbols ?? 1024 * 1024,
		chunkBytes,
	});
	const functions = functionBreakpoints(symbols, strings.view());
	const lines = await readLineTable(elf, file, code, {
		maxRows: options.maxLineRows ?? 2 * 1024 * 1024,
		chunkBytes,
	});
	const { frames, cfi } = await readFrames(elf, file, code, {
		maxFrameEntries: options.maxFrameEntries ?? 1024 * 1024,
		chunkBytes,
	});
	const calls = await scanCallSites(elf, file.machine, code, symbols, chunkBytes);
	return writeIndex({
		machine: file.machine,
		code,
		calls,
		symbols,
		functions,
		lines,
		frames,
		cfi,
		strings,
	});
}
