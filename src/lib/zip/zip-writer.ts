import { Zip, ZipDeflate, ZipPassThrough } from "fflate";

/** One file of a ZIP made on the fly. */
export interface ZipSource {
	name: string;
	mtime: Date;
	/** Deflated (small text) or stored (large binaries: no compression CPU per byte). */
	deflate: boolean;
	/** The file's bytes, opened only when the archive reaches it. */
	open(): Promise<ReadableStream<Uint8Array> | Uint8Array>;
}

/**
 * A ZIP archive as a stream, written with fflate's streaming `Zip` as the reader pulls: each
 * pull moves one chunk of one file through, so memory stays at about a chunk whatever the files'
 * sizes. Files are written one after another, in order, with data descriptors (sizes and CRC-32
 * follow each file's data).
 */
export function zipStream(sources: readonly ZipSource[]): ReadableStream<Uint8Array> {
	const out: Uint8Array[] = [];
	let finished = false;
	let failure: unknown = null;
	const zip = new Zip((err, chunk, final) => {
		if (err) failure = err;
		else out.push(chunk);
		if (final) finished = true;
	});
	let index = 0;
	let file: ZipPassThrough | ZipDeflate | null = null;
	let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;

	/** Moves the archive on by one step: a chunk of the current file, or the next file. */
	async function step(): Promise<void> {
		if (file === null) {
			const source = sources[index++];
			if (!source) {
				zip.end();
				return;
			}
			file = source.deflate
				? new ZipDeflate(source.name, { level: 6 })
				: new ZipPassThrough(source.name);
			file.mtime = source.mtime;
			zip.add(file);
			const body = await source.open();
			if (body instanceof Uint8Array) {
				file.push(body, true);
				file = null;
				return;
			}
			reader = body.getReader();
		}
		const next = await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
		if (next.done) {
			file.push(new Uint8Array(0), true);
			file = null;
			reader = null;
		} else {
			file.push(next.value, false);
		}
	}

	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				try {
					while (out.length === 0 && !finished && failure === null) await step();
				} catch (err) {
					failure = err;
				}
				if (failure !== null) {
					controller.error(failure);
					return;
				}
				for (const chunk of out.splice(0)) controller.enqueue(chunk);
				if (finished) controller.close();
			},
			async cancel(reason) {
				await reader?.cancel(reason).catch(() => {});
				zip.terminate();
			},
		},
		{ highWaterMark: 0 },
	);
}
