import type { CoredumpAnalysis, ElfResolver } from "../lib/coredump/analysis";
import { analyzeCoredump } from "../lib/coredump/analyze";
import { formatReport } from "../lib/coredump/report";
import { crashSignature } from "../lib/coredump/signature";
import type { Symbolizer } from "../lib/coredump/symbolizer";
import { buildElfIndex } from "../lib/elf-index/build";
import { openElfIndex } from "../lib/elf-index/read";
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
	id: string;
	size: number;
	filename: string;
	device_key: string;
	model_code: string;
	uploaded_at: string;
}

/** The decoder the Worker runs: the dump decoder of src/lib/coredump over the ELF index of src/lib/elf-index. */
export const crashDecoder: CrashDecoder = {
	analyze: analyzeCoredump,
	signature: crashSignature,
	report: (analysis, meta) =>
		formatReport(analysis, {
			deviceKey: meta.device_key,
			coredumpId: meta.id,
			uploadedAt: meta.uploaded_at,
			size: meta.size,
		}),
	buildIndex: (elf) => buildElfIndex(elf),
	openIndex: openElfIndex,
};
