import type { CoredumpAnalysis, ElfResolver } from "../lib/coredump/analysis";
import type { Symbolizer } from "../lib/coredump/symbolizer";
import type { ByteSource } from "../lib/zip/byte-source";

/**
 * The pure crash decoding code (src/lib/coredump, src/lib/elf-index) as the services use it:
 * one seam, so the queue consumer, the routes and the tests name the same five functions, and a
 * test can hand in analyses made by hand.
 */
export interface CrashDecoder {
	/** Decodes a dump; bad input gives a `failed` analysis, never a throw. */
	analyze(
		bytes: Uint8Array,
		deviceFirmwareVersion: string,
		resolveElf: ElfResolver,
		now: Date,
	): Promise<CoredumpAnalysis>;
	/** The crash group of a decoded or unsymbolized analysis (SPEC §11); null otherwise. */
	signature(analysis: CoredumpAnalysis): CrashSignature | null;
	/** The analysis laid out like `esp-coredump info_corefile`. */
	report(analysis: CoredumpAnalysis, meta: ReportMeta): string;
	/** What decoding needs of an ELF, built once per ELF and kept in R2. */
	buildIndex(elf: ByteSource): Promise<Uint8Array>;
	openIndex(index: ByteSource): Promise<Symbolizer>;
}

export interface CrashSignature {
	signature: string;
	/** e.g. `abort() in fail_once ← app_main` */
	title: string;
	/** `abort`, `assert` or the exception name. */
	kind: string;
	/** The function names (or, unsymbolized, the PCs) the signature is made of. */
	frames: string[];
}

/** What the report's heading names besides the analysis. */
export interface ReportMeta {
	filename: string;
	device_key: string;
	model_code: string;
	uploaded_at: string;
}

/**
 * The decoder the Worker runs. The `dump` and `elf` branches provide it; until they are merged
 * every entry point refuses, and analyses are recorded as failed with ANALYSIS_INTERNAL_ERROR.
 */
export const crashDecoder: CrashDecoder = {
	analyze: notMerged,
	signature: notMerged,
	report: notMerged,
	buildIndex: notMerged,
	openIndex: notMerged,
};

function notMerged(): never {
	throw new Error("the crash decoder is not part of this build yet");
}
