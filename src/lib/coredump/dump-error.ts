import type { AnalysisErrorCode } from "./analysis";

export interface DumpFacts {
	format: "elf" | "binary";
	dumpVersion: string;
	checksum: "crc32" | "sha256";
	chip: string | null;
	chipRev: number | null;
}

/**
 * A dump the decoder refuses, with the stable code its analysis reports. Thrown inside the
 * parsers and caught by `analyzeCoredump`, which turns it into a `failed` analysis.
 */
export class DumpError extends Error {
	/** What the dump's header told before the failure (chip, version…), for the analysis. */
	facts: DumpFacts | null = null;

	constructor(
		readonly code: AnalysisErrorCode,
		message: string,
	) {
		super(message);
		this.name = "DumpError";
	}
}

export function truncated(message: string): DumpError {
	return new DumpError("DUMP_TRUNCATED", message);
}

export function corrupt(message: string): DumpError {
	return new DumpError("DUMP_CORRUPT", message);
}

export function unknownFormat(message: string): DumpError {
	return new DumpError("DUMP_FORMAT_UNKNOWN", message);
}
