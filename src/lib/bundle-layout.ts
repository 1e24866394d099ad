import { AppError, BadRequest, type CodeWithStatus } from "../errors";
import type { ZipEntry } from "./zip/central-directory";

/** The five entries of a firmware bundle (SPEC §6.2), each as its central directory declares it. */
export interface BundleEntries {
	bin: ZipEntry;
	elf: ZipEntry;
	map: ZipEntry;
	sdkconfig: ZipEntry;
	versionJson: ZipEntry;
}

export interface BundleLimits {
	/** The app image's limit (`APP_IMAGE_MAX_BYTES`). */
	appImageMaxBytes: number;
	/** The ELF's and the map's limit: they are streamed, so this only bounds the work. */
	maxEntryBytes: number;
}

export const VERSION_JSON_MAX_BYTES = 64 * 1024;
export const SDKCONFIG_MAX_BYTES = 1024 * 1024;
/** Names in a 400 are cut to this length: a hostile archive chooses them. */
const SHOWN_NAME_LENGTH = 200;

/**
 * Checks that the bundle holds exactly its five root entries (case-sensitive) and that each
 * declares a size within its limit, before anything is inflated. Every missing, unexpected and
 * repeated name is reported in one 400; anything but the five names is unexpected, so folders,
 * `../x`, `/abs` and `a\b` need no rules of their own.
 */
export function checkBundleLayout(
	entries: readonly ZipEntry[],
	modelCode: string,
	limits: BundleLimits,
): BundleEntries {
	const roles = new Map<string, keyof BundleEntries>([
		[`${modelCode}.bin`, "bin"],
		[`${modelCode}.elf`, "elf"],
		[`${modelCode}.map`, "map"],
		["sdkconfig", "sdkconfig"],
		["version.json", "versionJson"],
	]);
	const found: Partial<BundleEntries> = {};
	const unexpected = new Set<string>();
	const duplicates = new Set<string>();
	for (const entry of entries) {
		const role = roles.get(entry.name);
		if (role === undefined) unexpected.add(shown(entry.name));
		else if (found[role]) duplicates.add(entry.name);
		else found[role] = entry;
	}
	const expected = [...roles.keys()];
	const missing = expected.filter((name) => !found[roles.get(name) as keyof BundleEntries]);
	if (missing.length > 0 || unexpected.size > 0 || duplicates.size > 0) {
		const details = { expected, missing, unexpected: [...unexpected], duplicates: [...duplicates] };
		throw new BadRequest("BUNDLE_LAYOUT_INVALID", layoutMessage(details), details);
	}
	const bundle = found as BundleEntries;
	checkSize(bundle.bin, limits.appImageMaxBytes, "BUNDLE_APP_IMAGE_TOO_LARGE");
	checkSize(bundle.versionJson, VERSION_JSON_MAX_BYTES);
	checkSize(bundle.sdkconfig, SDKCONFIG_MAX_BYTES);
	checkSize(bundle.elf, limits.maxEntryBytes);
	checkSize(bundle.map, limits.maxEntryBytes);
	return bundle;
}

function checkSize(
	entry: ZipEntry,
	limit: number,
	code: CodeWithStatus<413> = "BUNDLE_ENTRY_TOO_LARGE",
): void {
	const size = entry.uncompressedSize;
	if (size <= limit) return;
	const message = `${quoted(entry.name)} declares ${size} bytes; at most ${limit} are allowed.`;
	throw new AppError(code, message, { entry: entry.name, declared_size: size, limit });
}

function layoutMessage(
	names: Record<"expected" | "missing" | "unexpected" | "duplicates", string[]>,
) {
	const problems = [
		names.missing.length > 0 && `missing ${list(names.missing)}`,
		names.unexpected.length > 0 && `unexpected ${list(names.unexpected)}`,
		names.duplicates.length > 0 && `more than once ${list(names.duplicates)}`,
	].filter(Boolean);
	return `A bundle holds exactly ${list(names.expected)} at its root; ${problems.join("; ")}.`;
}

function list(names: string[]): string {
	const all = names.map(quoted);
	return all.length > 1 ? `${all.slice(0, -1).join(", ")} and ${all.at(-1)}` : (all[0] ?? "");
}

const quoted = (name: string) => JSON.stringify(name);

function shown(name: string): string {
	return name.length > SHOWN_NAME_LENGTH ? `${name.slice(0, SHOWN_NAME_LENGTH)}…` : name;
}
