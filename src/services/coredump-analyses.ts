import { type AnalysisRow, getDeviceAnalysisRow } from "../db/coredump-analysis";
import { findElfByVersion } from "../db/firmware-elfs";
import type { Env } from "../env";
import { AppError } from "../errors";
import type { CoredumpAnalysis } from "../lib/coredump/analysis";
import { type ZipSource, zipStream } from "../lib/zip/zip-writer";
import { openCoredumpObject, readAnalysisJson } from "../storage/analysis-objects";
import { openElf } from "../storage/elf-objects";
import { emptyAnalysis, type StoredCoredumpAnalysis } from "./analysis-shape";
import { type Coredump, getCoredumpRowOrThrow, toCoredump } from "./coredumps";
import type { CrashDecoder } from "./crash-decoder";

/**
 * Reading a dump's analysis (SPEC §10): with the dump's metadata, as a report, and as a bundle
 * with everything an engineer needs to open the crash in gdb.
 */

export type CoredumpDetail = Coredump & { analysis: StoredCoredumpAnalysis };

export async function getCoredumpDetail(
	env: Env,
	key: string,
	id: string,
): Promise<CoredumpDetail> {
	const row = await getCoredumpRowOrThrow(env.DB, key, id);
	const analysisRow = await getDeviceAnalysisRow(env.DB, key, id);
	const analysis = analysisRow ? await analysisOf(env, analysisRow) : null;
	return { ...toCoredump(row), analysis: analysis ?? emptyAnalysis(row, "pending", null, null) };
}

/** The stored analysis (D1 or R2); a pending one while none has been stored. */
async function analysisOf(env: Env, row: AnalysisRow): Promise<StoredCoredumpAnalysis> {
	if (row.analysis !== null) return JSON.parse(row.analysis) as StoredCoredumpAnalysis;
	if (row.analysis_key !== null) {
		const json = await readAnalysisJson(env.BLOBS, row.analysis_key);
		if (json !== null) return JSON.parse(json) as StoredCoredumpAnalysis;
		console.error(JSON.stringify({ msg: "analysis object missing", key: row.analysis_key }));
		throw new AppError(
			"STORAGE_OBJECT_MISSING",
			"A stored file disappeared while it was being read; please try again.",
		);
	}
	if (row.status === "failed") {
		// A dump the dead-letter queue gave up on has a status but no analysis body.
		const code =
			row.error_code === "ANALYSIS_GAVE_UP" ? "ANALYSIS_GAVE_UP" : "ANALYSIS_INTERNAL_ERROR";
		return emptyAnalysis(row, "failed", code, null);
	}
	return emptyAnalysis(row, "pending", null, null);
}

/** The row and its analysis, once there is one (409 while the dump waits for its first). */
async function analysedOrThrow(env: Env, key: string, id: string) {
	await getCoredumpRowOrThrow(env.DB, key, id);
	const row = await getDeviceAnalysisRow(env.DB, key, id);
	const analysis = row ? await analysisOf(env, row) : null;
	if (!row || !analysis || analysis.status === "pending") {
		throw new AppError(
			"ANALYSIS_PENDING",
			"The core dump has not been analysed yet; try again in a few seconds.",
			{ key, id },
			{ "Retry-After": "5" },
		);
	}
	return { row, analysis };
}

export async function coredumpReport(
	env: Env,
	key: string,
	id: string,
	decoder: CrashDecoder,
): Promise<string> {
	const { row, analysis } = await analysedOrThrow(env, key, id);
	return reportText(decoder, row, analysis);
}

function reportText(decoder: CrashDecoder, row: AnalysisRow, analysis: StoredCoredumpAnalysis) {
	return decoder.report(analysis as CoredumpAnalysis, {
		id: row.id,
		size: row.size,
		filename: row.filename,
		device_key: row.device_key,
		model_code: row.model_code,
		uploaded_at: row.uploaded_at,
	});
}

export interface CrashBundle {
	filename: string;
	body: ReadableStream<Uint8Array>;
}

/**
 * A ZIP made as it is read: the dump as uploaded, report.txt, analysis.json and, when the dump
 * was matched to a version whose ELF is still stored, that ELF (streamed from R2, stored, not
 * deflated: a 256 MiB ELF costs no compression CPU and memory stays at a chunk).
 */
export async function coredumpBundle(
	env: Env,
	key: string,
	id: string,
	decoder: CrashDecoder,
): Promise<CrashBundle> {
	const { row, analysis } = await analysedOrThrow(env, key, id);
	const dump = await openCoredumpObject(env.BLOBS, row.object_key);
	if (!dump) {
		console.error(JSON.stringify({ msg: "core dump object missing", key: row.object_key }));
		throw new AppError("COREDUMP_NOT_FOUND", `Device '${key}' has no core dump '${id}'.`, {
			key,
			id,
		});
	}
	const mtime = new Date(row.uploaded_at);
	const text = (s: string) => new TextEncoder().encode(s);
	const sources: ZipSource[] = [
		{ name: row.filename, mtime, deflate: false, open: async () => dump },
		{
			name: "report.txt",
			mtime,
			deflate: true,
			open: async () => text(reportText(decoder, row, analysis)),
		},
		{
			name: "analysis.json",
			mtime,
			deflate: true,
			open: async () => text(`${JSON.stringify(analysis, null, 2)}\n`),
		},
	];
	const elf = await matchedElf(env, row, analysis);
	if (elf) {
		const body = elf.body;
		sources.push({ name: elf.name, mtime, deflate: false, open: async () => body });
	}
	return { filename: row.filename.replace(/\.dmp$/, ".zip"), body: zipStream(sources) };
}

/**
 * The ELF the dump was decoded against, opened: null when the dump matched none, or when that
 * version is gone or now holds another ELF (a replaced version).
 */
async function matchedElf(env: Env, row: AnalysisRow, analysis: StoredCoredumpAnalysis) {
	if (row.matched_version === null) return null;
	const elf = await findElfByVersion(env.DB, row.model_code, row.matched_version);
	const prefix = analysis.elf_sha256_prefix?.toLowerCase();
	if (!elf || (prefix && !elf.elf_sha256.startsWith(prefix))) return null;
	const object = await openElf(env.BLOBS, elf.elf_key);
	return object && { name: `${row.model_code}-${elf.version}.elf`, body: object.body };
}
