import { AppError } from "../../errors";

const MESSAGES = {
	ELF_INVALID: "The ELF file is damaged ({reason}).",
	ELF_UNSUPPORTED:
		"The file is not an ELF this service can read: a 32-bit little-endian Xtensa or RISC-V firmware ELF is expected ({reason}).",
	ELF_INDEX_TOO_LARGE: "The ELF holds more than a crash-analysis index can keep ({reason}).",
	ELF_INDEX_CORRUPT: "A stored ELF index is damaged or from an older release; build it again.",
} as const;

export type ElfErrorCode = keyof typeof MESSAGES;

/**
 * The AppError for a refused ELF or index. `details.reason` says what was wrong in a few words;
 * `details.section` names the ELF section when one is at fault.
 */
export function elfError(
	code: ElfErrorCode,
	reason: string,
	details: Record<string, unknown> = {},
): AppError {
	const message = MESSAGES[code].replace("{reason}", reason);
	return new AppError(code, message, { reason, ...details });
}

/** Shorthand for the commonest refusal: a structure that is cut short or points outside. */
export function elfInvalid(reason: string, details: Record<string, unknown> = {}): AppError {
	return elfError("ELF_INVALID", reason, details);
}
