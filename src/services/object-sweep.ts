/**
 * Removes R2 objects that no row references and that are older than an hour (SPEC §13): what a
 * delete leaves when it fails after its rows are gone, or an upload whose answer from D1 was
 * lost. Run by the scheduled handler. Bounded per run (a number of list pages per prefix); the
 * next run resumes where this one stopped, so a bucket of millions of core dumps is covered over
 * a few runs without any run going past the platform's limits. Every removed key is logged.
 */
import { getSweepCursor, setSweepCursor } from "../db/object-references";
import type { Env } from "../env";
import { STAGING_ROOT, uploadIdOf } from "../storage/keys";
import { listObjectPage } from "../storage/object-pages";
import { deleteKeys } from "../storage/objects";
import {
	REFERENCE_SOURCES,
	type ReferenceSource,
	type SweepContext,
	UPLOAD_TIME_LIMIT_MS,
} from "./reference-sources";

/** Younger objects are never touched: their rows may be on their way. */
export const SWEEP_MIN_AGE_MS = 60 * 60 * 1000;
export const SWEEP_PAGES_PER_PREFIX = 20;

export interface SweepResult {
	prefix: string;
	scanned: number;
	removed: string[];
	/** The listing continues from here next run (null: this run reached the end). */
	resumed_from_cursor: boolean;
	finished: boolean;
}

export interface SweepOptions {
	sources?: readonly ReferenceSource[];
	pagesPerPrefix?: number;
	/** Objects per list page (R2 gives at most 1000). */
	pageSize?: number;
}

export async function sweepUnreferencedObjects(
	env: Env,
	now: Date,
	options: SweepOptions = {},
): Promise<SweepResult[]> {
	const sources = options.sources ?? REFERENCE_SOURCES;
	const limits = {
		pages: options.pagesPerPrefix ?? SWEEP_PAGES_PER_PREFIX,
		pageSize: options.pageSize ?? 1000,
	};
	let inFlight: Promise<Set<string>> | null = null;
	const ctx: SweepContext = {
		env,
		now,
		uploadsInFlight: () => {
			inFlight ??= listUploadsInFlight(env, now);
			return inFlight;
		},
	};
	const results: SweepResult[] = [];
	for (const source of sources) results.push(await sweepPrefix(ctx, source, limits));
	return results;
}

async function sweepPrefix(
	ctx: SweepContext,
	source: ReferenceSource,
	limits: { pages: number; pageSize: number },
): Promise<SweepResult> {
	const { env, now } = ctx;
	const cutoff = now.getTime() - SWEEP_MIN_AGE_MS;
	let cursor = await getSweepCursor(env.DB, source.prefix);
	const resumed = cursor !== null;
	const result: SweepResult = {
		prefix: source.prefix,
		scanned: 0,
		removed: [],
		resumed_from_cursor: resumed,
		finished: false,
	};
	for (let page = 0; page < limits.pages; page++) {
		const list = (from: string | null) =>
			listObjectPage(env.BLOBS, source.prefix, from, limits.pageSize);
		const listed = await list(cursor).catch((err) => {
			// A stored cursor R2 no longer accepts: start the prefix over.
			if (cursor === null) throw err;
			cursor = null;
			return list(null);
		});
		result.scanned += listed.objects.length;
		const old = listed.objects.filter((o) => o.uploaded.getTime() < cutoff);
		const needed = old.length > 0 ? await source.referenced(ctx, old) : new Set<string>();
		const orphans = old.map((o) => o.key).filter((key) => !needed.has(key));
		if (orphans.length > 0) {
			await deleteKeys(env.BLOBS, orphans);
			result.removed.push(...orphans);
			console.log(
				JSON.stringify({
					msg: "removed unreferenced objects",
					prefix: source.prefix,
					keys: orphans,
				}),
			);
		}
		cursor = listed.cursor;
		if (cursor === null) {
			result.finished = true;
			break;
		}
	}
	await setSweepCursor(env.DB, source.prefix, cursor, now.toISOString());
	return result;
}

/** Upload ids whose staging object is younger than the upload time limit. */
async function listUploadsInFlight(env: Env, now: Date): Promise<Set<string>> {
	const limit = now.getTime() - UPLOAD_TIME_LIMIT_MS;
	const ids = new Set<string>();
	let cursor: string | null = null;
	do {
		const page = await listObjectPage(env.BLOBS, STAGING_ROOT, cursor);
		for (const o of page.objects) {
			const id = uploadIdOf(o.key);
			if (id !== null && o.uploaded.getTime() > limit) ids.add(id);
		}
		cursor = page.cursor;
	} while (cursor !== null);
	return ids;
}
