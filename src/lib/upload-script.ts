import uploadPs1 from "../../templates/upload.ps1";
import uploadSh from "../../templates/upload.sh";

export type UploadScriptKind = "sh" | "ps1";

/** What the server fills in: where to upload, and where client credentials become a token. */
export interface UploadScriptValues {
	baseUrl: string;
	tokenUrl: string;
}

const PLACEHOLDERS: Record<string, keyof UploadScriptValues> = {
	"'__OTA_BASE_URL__'": "baseUrl",
	"'__OTA_TOKEN_URL__'": "tokenUrl",
};
const PLACEHOLDER = /'__OTA_(?:BASE|TOKEN)_URL__'/g;

/** Control characters (NUL, CR, LF, …) and Unicode line breaks: never part of a URL. */
function isUnprintable(ch: string): boolean {
	const code = ch.codePointAt(0) ?? 0;
	return code < 0x20 || code === 0x7f || code === 0x85 || code === 0x2028 || code === 0x2029;
}

export function stripUnprintable(value: string): string {
	return Array.from(value)
		.filter((ch) => !isUnprintable(ch))
		.join("");
}

/** A POSIX sh literal: inside single quotes nothing is special but the quote itself. */
export function shLiteral(value: string): string {
	return `'${stripUnprintable(value).replaceAll("'", `'\\''`)}'`;
}

/**
 * A PowerShell literal: inside single quotes nothing is special but the quote, which is doubled.
 * PowerShell also takes the typographic single quotes (U+2018–U+201B) as quotes.
 */
export function ps1Literal(value: string): string {
	return `'${stripUnprintable(value).replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/**
 * Fills a template's placeholders (each must appear exactly once) with quoted literals, in one
 * pass, so that nothing inserted is ever read as a placeholder again.
 */
export function fillUploadScript(
	template: string,
	kind: UploadScriptKind,
	values: UploadScriptValues,
): string {
	const literal = kind === "sh" ? shLiteral : ps1Literal;
	const script = kind === "sh" ? template.replaceAll("\r\n", "\n") : template;
	for (const placeholder of Object.keys(PLACEHOLDERS)) {
		if (script.split(placeholder).length !== 2) {
			throw new Error(`The ${kind} template must hold ${placeholder} exactly once.`);
		}
	}
	return script.replace(PLACEHOLDER, (placeholder) => {
		const name = PLACEHOLDERS[placeholder];
		return literal(name ? values[name] : "");
	});
}

/** The CI upload script of SPEC §8, with the server's URLs filled in. */
export function renderUploadScript(kind: UploadScriptKind, values: UploadScriptValues): string {
	return fillUploadScript(kind === "sh" ? uploadSh : uploadPs1, kind, values);
}
