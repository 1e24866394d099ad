/** Stored times are ISO-8601 UTC with milliseconds: they sort correctly as text. */
export const nowIso = (): string => new Date().toISOString();
