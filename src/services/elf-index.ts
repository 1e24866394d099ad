import {
	claimIndexBuild,
	recordElfIndex,
	releaseIndexBuild,
	type VersionElf,
} from "../db/firmware-elfs";
import type { Env } from "../env";
import type { Symbolizer } from "../lib/coredump/symbolizer";
import { type ByteSource, memorySource } from "../lib/zip/byte-source";
import { elfSource, indexSize, indexSource, putIndex, readIndex } from "../storage/elf-objects";
import { elfIndexKey } from "../storage/keys";
import { deleteKeys } from "../storage/objects";
import type { CrashDecoder } from "./crash-decoder";
import { recordingSource, StorageFaults } from "./storage-faults";

/**
 * The index of what decoding needs of an ELF (SPEC §10): built from the stored ELF the first
 * time a dump needs it, kept in R2 under the ELF's SHA-256 (per model), and opened once per
 * isolate. Building on first need rather than on upload keeps uploads as fast as before and
 * spends the work only on firmware that crashes; every later dump of that ELF reuses it.
 * Indexes up to IN_MEMORY_INDEX_BYTES are read whole (warm decodes touch no storage); larger
 * ones are read by ranges on demand. One consumer builds a given index at a time, whatever
 * isolate it runs in: the others wait for its index (see `buildOnce`).
 */

const IN_MEMORY_INDEX_BYTES = 16 * 1024 * 1024;
const OPENED_PER_ISOLATE = 4;
/** An ELF that cannot be indexed is not tried again by this isolate for this long. */
const UNUSABLE_RETRY_MS = 10 * 60_000;
/** A claim on building an index lasts this long (a 256 MiB ELF takes seconds, not minutes). */
const BUILD_LEASE_MS = 120_000;
/** How often a consumer waiting for another's build looks for the index it is building. */
const BUILD_POLL_MS = 1_000;

interface Opened {
	symbolizer: Symbolizer;
	/** Failures of the index's own reads (range-read indexes only), across analyses. */
	faults: StorageFaults;
}

const opened = new Map<string, Promise<Opened>>();
const unusable = new Map<string, number>();

/** Thrown when the ELF itself cannot be indexed (not retried: the dump stays unsymbolized). */
export class ElfUnusable extends Error {}

/**
 * The symbolizer over `elf`'s index, as seen by one analysis: every storage failure under it is
 * recorded in `faults` (so the analysis is retried), whoever swallows the error.
 */
export async function symbolizerFor(
	env: Env,
	decoder: CrashDecoder,
	elf: VersionElf,
	faults: StorageFaults,
): Promise<Symbolizer> {
	const key = elfIndexKey(elf.model_code, elf.elf_sha256);
	const failedAt = unusable.get(key);
	if (failedAt !== undefined && Date.now() - failedAt < UNUSABLE_RETRY_MS) {
		throw new ElfUnusable(`the ELF ${elf.elf_sha256} could not be indexed`);
	}
	let pending = opened.get(key);
	if (!pending) {
		pending = openOrBuild(env, decoder, elf, key);
		remember(key, pending);
	}
	let entry: Opened;
	try {
		entry = await pending;
	} catch (err) {
		opened.delete(key);
		if (err instanceof ElfUnusable) unusable.set(key, Date.now());
		else faults.record(err);
		throw err;
	}
	return watched(entry, faults, () => opened.delete(key));
}

function remember(key: string, pending: Promise<Opened>): void {
	opened.set(key, pending);
	while (opened.size > OPENED_PER_ISOLATE) opened.delete(opened.keys().next().value as string);
}

async function openOrBuild(
	env: Env,
	decoder: CrashDecoder,
	elf: VersionElf,
	key: string,
): Promise<Opened> {
	let size = await indexSize(env.BLOBS, key);
	let built = false;
	if (size === null) {
		size = await buildOnce(env, decoder, elf, key);
		built = true;
	}
	try {
		return await open(env, decoder, key, size);
	} catch (err) {
		if (built || !(err instanceof ElfUnusable)) throw err;
		// A stored index this build cannot read (an older layout, damage): build it again.
		return open(env, decoder, key, await build(env, decoder, elf, key));
	}
}

/**
 * Builds the index unless another consumer is building it: after a release crashes, many dumps
 * of one ELF arrive at once, and building the same index in every isolate would spend seconds
 * of CPU and tens of MiB each for one result. The claim is a lease in D1; a consumer that does
 * not get it waits (wall time, not CPU) for the index to appear in R2, and builds it itself
 * only when the lease ran out without one — the builder died, or failed and let go.
 */
async function buildOnce(
	env: Env,
	decoder: CrashDecoder,
	elf: VersionElf,
	key: string,
): Promise<number> {
	const claim = { model: elf.model_code, elfSha256: elf.elf_sha256, holder: crypto.randomUUID() };
	// Bounded: past one lease's length, whoever held it has either written the index or lost
	// the claim; building without it then costs only duplicate work.
	const giveUpAt = Date.now() + BUILD_LEASE_MS + BUILD_POLL_MS;
	while (Date.now() < giveUpAt) {
		const nowMs = Date.now();
		if (await claimIndexBuild(env.DB, { ...claim, nowMs, leaseMs: BUILD_LEASE_MS })) {
			try {
				return await build(env, decoder, elf, key);
			} finally {
				// A claim left behind only delays the next build by one lease, never stops it.
				await releaseIndexBuild(env.DB, claim).catch((err: unknown) =>
					console.error(
						JSON.stringify({ msg: "ELF index claim not released", key, error: String(err) }),
					),
				);
			}
		}
		await new Promise((resolve) => setTimeout(resolve, BUILD_POLL_MS));
		const size = await indexSize(env.BLOBS, key);
		if (size !== null) return size;
	}
	return build(env, decoder, elf, key);
}

async function build(
	env: Env,
	decoder: CrashDecoder,
	elf: VersionElf,
	key: string,
): Promise<number> {
	const faults = new StorageFaults();
	const source = recordingSource(elfSource(env.BLOBS, elf.elf_key, elf.elf_size), faults);
	let index: Uint8Array;
	try {
		index = await decoder.buildIndex(source);
	} catch (err) {
		faults.rethrow();
		console.error(
			JSON.stringify({ msg: "ELF not indexable", key: elf.elf_key, error: String(err) }),
		);
		throw new ElfUnusable(`the ELF ${elf.elf_sha256} could not be indexed`);
	}
	await putIndex(env.BLOBS, key, index);
	const kept = await recordElfIndex(env.DB, {
		model: elf.model_code,
		elfSha256: elf.elf_sha256,
		key,
		size: index.byteLength,
		builtAt: new Date().toISOString(),
	});
	// The last version with this ELF was deleted meanwhile: the index goes too.
	if (!kept) await deleteKeys(env.BLOBS, [key]);
	return index.byteLength;
}

async function open(env: Env, decoder: CrashDecoder, key: string, size: number): Promise<Opened> {
	const faults = new StorageFaults();
	let source: ByteSource;
	if (size <= IN_MEMORY_INDEX_BYTES) {
		const bytes = await readIndex(env.BLOBS, key);
		if (!bytes) throw new Error(`the ELF index ${key} vanished while it was opened`);
		source = memorySource(bytes);
	} else {
		source = recordingSource(indexSource(env.BLOBS, key, size), faults);
	}
	try {
		return { symbolizer: await decoder.openIndex(source), faults };
	} catch (err) {
		faults.rethrow();
		throw new ElfUnusable(`the ELF index ${key} cannot be read: ${String(err)}`);
	}
}

/**
 * The cached symbolizer, reporting its index's storage failures to this analysis (and dropping
 * the entry, so the retry opens it afresh). Other errors are the decoder's to handle.
 */
function watched(entry: Opened, faults: StorageFaults, evict: () => void): Symbolizer {
	const inner = entry.symbolizer;
	const guard =
		<A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
		async (...args: A): Promise<R> => {
			const before = entry.faults.count;
			try {
				return await call(...args);
			} finally {
				if (entry.faults.count > before) {
					faults.record(entry.faults.first);
					evict();
				}
			}
		};
	return {
		functionAt: guard((a: number) => inner.functionAt(a)),
		lineAt: guard((a: number) => inner.lineAt(a)),
		isCode: guard((a: number) => inner.isCode(a)),
		followsCall: guard((a: number) => inner.followsCall(a)),
		unwindAt: guard((pc: number) => inner.unwindAt(pc)),
	};
}

/** Forgets opened indexes (tests that change what storage holds under one isolate). */
export function forgetOpenedIndexes(): void {
	opened.clear();
	unusable.clear();
}
