import { BadRequest } from "../errors";

/** The build facts a bundle's version.json carries (SPEC §6.2); every other field is kept. */
export interface VersionJson {
	gitCommit: string;
	idfVersion: string;
	firmwareVersion: string;
	/** The whole object as uploaded, the three fields above included. */
	fields: Record<string, unknown>;
}

const REQUIRED = ["git_commit", "idf_version", "firmware_version"] as const;
/** Fatal, so bytes that are not UTF-8 are refused; a leading BOM is dropped. */
const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Parses version.json: UTF-8 (a BOM is fine), one JSON object with three string fields. */
export function parseVersionJson(bytes: Uint8Array): VersionJson {
	let text: string;
	try {
		text = DECODER.decode(bytes);
	} catch {
		throw new BadRequest("VERSION_JSON_NOT_UTF8", "version.json is not UTF-8 text.");
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new BadRequest("VERSION_JSON_INVALID", "version.json is not valid JSON.");
	}
	if (typeof value !== "object" || value === null || Array.isArray(value)) {
		const found = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
		const message = `version.json must hold a JSON object, not a JSON ${found}.`;
		throw new BadRequest("VERSION_JSON_NOT_OBJECT", message, { found });
	}
	const fields = value as Record<string, unknown>;
	const missing = REQUIRED.filter((name) => !Object.hasOwn(fields, name));
	const notString = REQUIRED.filter(
		(name) => Object.hasOwn(fields, name) && typeof fields[name] !== "string",
	);
	if (missing.length > 0 || notString.length > 0) {
		const problems = [
			missing.length > 0 && `lacks ${missing.join(", ")}`,
			notString.length > 0 && `has a non-string ${notString.join(", ")}`,
		].filter(Boolean);
		throw new BadRequest(
			"VERSION_JSON_FIELD_INVALID",
			`version.json ${problems.join(" and ")}; ${REQUIRED.join(", ")} must be strings.`,
			{ missing, not_string: notString },
		);
	}
	return {
		gitCommit: fields.git_commit as string,
		idfVersion: fields.idf_version as string,
		firmwareVersion: fields.firmware_version as string,
		fields,
	};
}
