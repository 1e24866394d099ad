import { findElfByPrefix, findElfByVersion, type VersionElf } from "../db/firmware-elfs";
import type { Env } from "../env";
import type { ElfResolver } from "../lib/coredump/analysis";
import type { CrashDecoder } from "./crash-decoder";
import { ElfUnusable, symbolizerFor } from "./elf-index";
import type { StorageFaults } from "./storage-faults";

const ELF_SHA256_PREFIX = /^[0-9a-f]{8,64}$/;

/**
 * Finds the ELF a dump of `modelCode` was built from (SPEC §10): the newest of the model's
 * versions with a stored ELF whose SHA-256 starts with the prefix the dump names, else the
 * version the device sent, if it has an ELF. A version built for another chip than the dump's
 * is no match. Null leaves the dump `unsymbolized`. Storage failures are recorded in `faults`
 * (and thrown), so the analysis is retried rather than left unsymbolized.
 */
export function elfResolver(
	env: Env,
	modelCode: string,
	decoder: CrashDecoder,
	faults: StorageFaults,
): ElfResolver {
	return async ({ elfSha256Prefix, firmwareVersion, chip }) => {
		const fits = (v: VersionElf | null): v is VersionElf =>
			v !== null && (chip === null || v.chip === chip);
		let found: { elf: VersionElf; by: "elf_sha256" | "firmware_version" } | null = null;
		try {
			const prefix = elfSha256Prefix?.toLowerCase() ?? null;
			if (prefix !== null && ELF_SHA256_PREFIX.test(prefix)) {
				const elf = await findElfByPrefix(env.DB, modelCode, prefix);
				if (fits(elf)) found = { elf, by: "elf_sha256" };
			}
			if (!found) {
				const elf = await findElfByVersion(env.DB, modelCode, firmwareVersion);
				if (fits(elf)) found = { elf, by: "firmware_version" };
			}
			if (!found) return null;
			return {
				symbolizer: await symbolizerFor(env, decoder, found.elf, faults),
				matchedBy: found.by,
				firmwareVersion: found.elf.version,
			};
		} catch (err) {
			if (err instanceof ElfUnusable) return null;
			faults.record(err);
			throw err;
		}
	};
}
