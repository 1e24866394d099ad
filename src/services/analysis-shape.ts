import type { AnalysisRow } from "../db/coredump-analysis";
import { type AnalysisErrorCode, type CoredumpAnalysis, noCrash } from "../lib/coredump/analysis";

/**
 * Why an analysis failed besides the dump's own faults: the pipeline's codes (SPEC §10 names
 * the decoder's four; these are registered beside them in src/error-codes.ts).
 */
export type PipelineErrorCode = "ANALYSIS_GAVE_UP" | "ANALYSIS_INTERNAL_ERROR";

/** An analysis as stored and answered: the decoder's, or one the pipeline made. */
export type StoredCoredumpAnalysis = Omit<CoredumpAnalysis, "error_code"> & {
	error_code: AnalysisErrorCode | PipelineErrorCode | null;
};

/** An analysis that tells nothing yet (pending), or only why there is none (failed). */
export function emptyAnalysis(
	row: Pick<AnalysisRow, "firmware_version" | "chip">,
	status: "pending" | "failed",
	errorCode: PipelineErrorCode | null,
	decodedAt: string | null,
): StoredCoredumpAnalysis {
	return {
		status,
		error_code: errorCode,
		format: null,
		dump_version: null,
		checksum: null,
		chip: null,
		chip_rev: null,
		elf_sha256_prefix: null,
		firmware_version: row.firmware_version,
		...noCrash(),
		decoded_at: decodedAt,
	};
}
