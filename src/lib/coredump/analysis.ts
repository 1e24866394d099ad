import type { Symbolizer } from "./symbolizer";

/**
 * The analysis of one core dump (SPEC §10), exactly as the API returns it. Addresses are
 * lower-case `0x…` strings; a field a dump cannot tell is null.
 */
export interface CoredumpAnalysis {
	status: AnalysisStatus;
	error_code: AnalysisErrorCode | null;
	format: "elf" | "binary" | null;
	/** `major.minor` of the dump header. */
	dump_version: string | null;
	checksum: "crc32" | "sha256" | null;
	chip: string | null;
	chip_rev: number | null;
	elf_sha256_prefix: string | null;
	/** The matched firmware's version, else the one the device sent. */
	firmware_version: string | null;
	matched_by: "elf_sha256" | "firmware_version" | null;
	crashed_task: { tcb: string; name: string } | null;
	in_isr: boolean | null;
	panic_reason: string | null;
	exception: CrashException | null;
	registers: Record<string, string> | null;
	backtrace: Frame[];
	tasks: TaskAnalysis[];
	/** Crash group signature (SPEC §11); null unless decoded or unsymbolized. */
	signature: string | null;
	decoded_at: string | null;
}

/**
 * The crash fields of an analysis that decoded no crash (failed, or pending), in the order an
 * analysis lists them: spread between `firmware_version` and `decoded_at`.
 */
export function noCrash() {
	return {
		matched_by: null,
		crashed_task: null,
		in_isr: null,
		panic_reason: null,
		exception: null,
		registers: null,
		backtrace: [],
		tasks: [],
		signature: null,
	} satisfies Partial<CoredumpAnalysis>;
}

export type AnalysisStatus = "pending" | "decoded" | "unsymbolized" | "failed";

export type AnalysisErrorCode =
	| "DUMP_TRUNCATED"
	| "DUMP_CHECKSUM_MISMATCH"
	| "DUMP_FORMAT_UNKNOWN"
	| "DUMP_CORRUPT";

export type CrashException =
	| {
			arch: "xtensa";
			cause: number;
			name: string;
			address: string;
			epc: string[];
	  }
	| { arch: "riscv"; cause: number; name: string; address: string };

export interface Frame {
	pc: string;
	function: string | null;
	offset: number | null;
	file: string | null;
	line: number | null;
	kind: "app" | "rom" | "scanned";
}

export interface TaskAnalysis {
	tcb: string;
	name: string;
	priority: number | null;
	stack: { start: string; end: string; used: number; free: number } | null;
	pc: string | null;
	backtrace: Frame[];
}

/** The firmware whose ELF a dump was matched to, and the symbolizer over that ELF's index. */
export interface ElfMatch {
	symbolizer: Symbolizer;
	matchedBy: "elf_sha256" | "firmware_version";
	firmwareVersion: string;
}

/**
 * Finds the ELF for a dump: by the hex prefix of the ELF's SHA-256 the dump names (null for
 * binary-format dumps), else by the firmware version the device sent. Null when none matches:
 * the dump is then analysed `unsymbolized`.
 */
export type ElfResolver = (hint: {
	elfSha256Prefix: string | null;
	firmwareVersion: string;
	chip: string | null;
}) => Promise<ElfMatch | null>;
