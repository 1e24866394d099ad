/**
 * What may still need an object in R2, per top-level prefix. The sweep only ever looks under
 * these prefixes, so a new kind of object is never removed before a source vouching for it is
 * added here: one entry with its prefix and the question "which of these keys does a row (or an
 * upload in flight) still need?".
 */
import { coredumpKeysReferenced, firmwareKeysReferenced } from "../db/object-references";
import type { Env } from "../env";
import { COREDUMP_ROOT, FIRMWARE_ROOT, STAGING_ROOT, uploadIdOf } from "../storage/keys";
import type { ListedObject } from "../storage/object-pages";

/**
 * How long an upload may take: its bundle stays in staging until it is validated and copied.
 * A staging object younger than this belongs to an upload that may still be running, and so do
 * the firmware objects written under the same upload id.
 */
export const UPLOAD_TIME_LIMIT_MS = 6 * 60 * 60 * 1000;

export interface SweepContext {
	env: Env;
	now: Date;
	/** Upload ids with a staging object younger than the upload time limit. */
	uploadsInFlight(): Promise<Set<string>>;
}

export interface ReferenceSource {
	prefix: string;
	/** Of these objects (one listed page, each older than an hour), the keys still needed. */
	referenced(ctx: SweepContext, objects: readonly ListedObject[]): Promise<Set<string>>;
}

const keysOf = (objects: readonly ListedObject[]) => objects.map((o) => o.key);

export const REFERENCE_SOURCES: readonly ReferenceSource[] = [
	{
		// App images and bundles: named by a version row, or written by an upload in flight
		// that has not committed its row yet.
		prefix: FIRMWARE_ROOT,
		async referenced(ctx, objects) {
			const needed = await firmwareKeysReferenced(ctx.env.DB, keysOf(objects));
			const inFlight = await ctx.uploadsInFlight();
			for (const { key } of objects) {
				const id = uploadIdOf(key);
				if (id !== null && inFlight.has(id)) needed.add(key);
			}
			return needed;
		},
	},
	{
		// Bundles being validated: no row names them; an upload needs one for as long as it runs.
		prefix: STAGING_ROOT,
		async referenced(ctx, objects) {
			const limit = ctx.now.getTime() - UPLOAD_TIME_LIMIT_MS;
			return new Set(objects.filter((o) => o.uploaded.getTime() > limit).map((o) => o.key));
		},
	},
	{
		prefix: COREDUMP_ROOT,
		referenced: (ctx, objects) => coredumpKeysReferenced(ctx.env.DB, keysOf(objects)),
	},
];
