import { BadRequest } from "../errors";
import { type AppImageInfo, parseAppImage } from "../lib/app-image";
import { checkBundleLayout } from "../lib/bundle-layout";
import { sha256Tap } from "../lib/sha256-tap";
import { parseVersionJson, type VersionJson } from "../lib/version-json";
import type { ByteSource } from "../lib/zip/byte-source";
import { readCentralDirectory } from "../lib/zip/central-directory";
import { openEntry, readEntry } from "../lib/zip/entry-stream";

/** ELF and map files are streamed, never held; this bounds the inflating they can cost. */
export const BUNDLE_ENTRY_MAX_BYTES = 256 * 1024 * 1024;
const VERSION_JSON_MAX_BYTES = 64 * 1024;
/** A bundle has exactly five entries; a directory listing more is refused before parsing it. */
const MAX_ENTRIES = 64;

/**
 * Takes the bundle's ELF as it inflates (exactly `size` bytes; the stream errors on a damaged
 * entry), once the app image is known: crash analysis keeps the ELF (SPEC §10).
 */
export type ElfSink = (
	info: AppImageInfo,
	elf: ReadableStream<Uint8Array>,
	size: number,
) => Promise<void>;

export interface ValidatedBundle {
	image: Uint8Array;
	info: AppImageInfo;
	versionJson: VersionJson;
	warnings: string[];
}

/**
 * Validates a ZIP bundle (SPEC §6.2) through ranged reads of its stored copy: the layout and
 * declared sizes first, then version.json and the app image, then the ELF (hashed as it
 * inflates, and stored through `storeElf` when given) and the map and sdkconfig (checked against
 * their CRC-32 as they inflate). At most the app image is held in memory; every other entry
 * streams through.
 */
export async function validateBundle(
	source: ByteSource,
	modelCode: string,
	appImageMaxBytes: number,
	storeElf?: ElfSink,
): Promise<ValidatedBundle> {
	const entries = await readCentralDirectory(source, { maxEntries: MAX_ENTRIES });
	const layout = checkBundleLayout(entries, modelCode, {
		appImageMaxBytes,
		maxEntryBytes: BUNDLE_ENTRY_MAX_BYTES,
	});
	const versionJson = parseVersionJson(
		await readEntry(source, layout.versionJson, VERSION_JSON_MAX_BYTES),
	);
	const image = await readEntry(source, layout.bin, appImageMaxBytes);
	const info = await parseAppImage(image);

	// One pass over the ELF: hashed as it inflates and, when asked, stored on the way.
	const tap = sha256Tap();
	const elf = (await openEntry(source, layout.elf)).pipeThrough(tap.transform);
	if (storeElf) await storeElf(info, elf, layout.elf.uncompressedSize);
	else await drain(elf);
	const elfSha256 = await tap.digest();
	if (info.elfSha256 !== null && info.elfSha256 !== elfSha256) {
		throw new BadRequest(
			"ELF_MISMATCH",
			`${layout.elf.name} is not the ELF this app image was built from; core dumps could not be decoded against it.`,
			{ expected: info.elfSha256, actual: elfSha256 },
		);
	}
	await drain(await openEntry(source, layout.map));
	await drain(await openEntry(source, layout.sdkconfig));

	const warnings: string[] = [];
	if (versionJson.firmwareVersion !== info.version) {
		warnings.push(
			`version.json names firmware_version '${versionJson.firmwareVersion}' but the app image is version '${info.version}'; the image's version was stored.`,
		);
	}
	return { image, info, versionJson, warnings };
}

/** Reads a stream to its end; the entry stream verifies size and CRC-32 as it goes. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
	const reader = stream.getReader();
	for (;;) if ((await reader.read()).done) return;
}
