// Native DecompressionStream("deflate-raw") against fflate's streaming Inflate, on the same
// deflated app image, in this Node process: throughput and the extra memory each holds while
// it inflates. The choice of the native stream for bundle entries rests on this row.
import { deflateSync, Inflate } from "fflate";
import { buildAppImage } from "./firmware.mjs";

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;

function* chunks(bytes) {
	for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

const used = () => {
	const m = process.memoryUsage();
	return m.heapUsed + m.arrayBuffers;
};

/** Inflates with the runtime's stream; returns [bytes out, peak extra bytes]. */
async function native(deflated) {
	const base = used();
	let peak = 0;
	let out = 0;
	const source = ReadableStream.from(chunks(deflated));
	const reader = source.pipeThrough(new DecompressionStream("deflate-raw")).getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		out += value.byteLength;
		peak = Math.max(peak, used() - base);
	}
	return [out, peak];
}

/** Inflates with fflate's streaming Inflate, chunk by chunk. */
async function fflate(deflated) {
	const base = used();
	let peak = 0;
	let out = 0;
	const inflate = new Inflate((data) => {
		out += data.byteLength;
		peak = Math.max(peak, used() - base);
	});
	for (const chunk of chunks(deflated)) inflate.push(chunk);
	inflate.push(new Uint8Array(0), true);
	return [out, peak];
}

async function timed(run, deflated, rounds) {
	const speeds = [];
	let peak = 0;
	for (let i = 0; i < rounds; i++) {
		const started = performance.now();
		const [out, extra] = await run(deflated);
		speeds.push(out / MiB / ((performance.now() - started) / 1000));
		peak = Math.max(peak, extra);
	}
	speeds.sort((a, b) => a - b);
	return { mibPerSecond: speeds[Math.floor(speeds.length / 2)], peakMiB: peak / MiB };
}

/** Both inflaters on one deflated 16 MiB app image; the median of `rounds` runs each. */
export async function measureInflate(rounds = 7) {
	const image = buildAppImage({ version: "1.0.0", size: 16 * MiB, seed: 7 });
	const deflated = deflateSync(image, { level: 6 });
	await timed(native, deflated, 2);
	await timed(fflate, deflated, 2);
	return {
		imageMiB: image.byteLength / MiB,
		deflatedMiB: deflated.byteLength / MiB,
		native: await timed(native, deflated, rounds),
		fflate: await timed(fflate, deflated, rounds),
	};
}

/** The scenario: two rows, native in the product column and fflate in the baseline's. */
export async function inflate(ctx) {
	ctx.log("inflate: native DecompressionStream vs fflate Inflate, in Node");
	const m = await measureInflate();
	const labels = { product: "DecompressionStream", baseline: "fflate Inflate" };
	const scenario = `Inflating a deflated ${m.imageMiB.toFixed(0)} MiB image (${m.deflatedMiB.toFixed(1)} MiB), Node`;
	ctx.results.rows.push(
		{
			scenario,
			metric: "MiB/s out",
			product: m.native.mibPerSecond,
			baseline: m.fflate.mibPerSecond,
			nginx: null,
			better: "higher",
			target: null,
			labels,
		},
		{
			scenario,
			metric: "peak extra heap + buffers, MiB",
			product: m.native.peakMiB,
			baseline: m.fflate.peakMiB,
			nginx: null,
			better: "lower",
			target: null,
			labels,
		},
	);
}
