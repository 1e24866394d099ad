// The traffic of the load run (bench/load.mjs): devices downloading, resuming with ranges,
// revalidating and reporting crashes, and one CI job uploading releases. Every answer is counted
// by kind and status, timed to the end of its body, and checked byte for byte where it can be.
import { signLocalToken } from "../scripts/local-identity.mjs";
import { buildImage, buildRelease, noise, sha256Hex } from "./load-firmware.mjs";
import { sleep } from "./load-worker.mjs";

export const MODEL = "load_fleet";
const IMAGE_SIZE = 1536 * 1024; // a typical app image (PLATFORM.md: 0.15–2 MB)
const ELF_SIZE = 2 * 1024 * 1024;
const CHUNK = 64 * 1024; // ESP-IDF's partial download request size

/** Device requests, by weight. */
export const MIX = { download: 20, range: 30, revalidate: 20, head: 5, version: 10, coredump: 15 };

/** Counts, latencies and whatever went wrong. */
export class Tally {
	kinds = new Map();
	failures = [];
	networkErrors = 0;
	wrong = 0;

	stats(kind) {
		if (!this.kinds.has(kind)) this.kinds.set(kind, { latencies: [], statuses: {} });
		return this.kinds.get(kind);
	}

	note(what) {
		if (this.failures.length < 20) this.failures.push(what);
	}

	/** An answer that is not what it must be (wrong bytes, headers, or a lost object). */
	fail(what) {
		this.wrong++;
		this.note(what);
	}

	/** Sends one request of a kind; `check` reads its body and judges it. */
	async timed(kind, send, check) {
		const stats = this.stats(kind);
		const started = performance.now();
		let res;
		try {
			res = await send();
		} catch (err) {
			this.networkErrors++;
			this.note(`${kind}: ${err.message}`);
			return null;
		}
		stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
		if (res.status >= 500) this.note(`${kind}: HTTP ${res.status}`);
		try {
			await check(res);
		} catch (err) {
			this.fail(`${kind}: ${err.message}`);
		}
		stats.latencies.push(performance.now() - started);
		return res;
	}
}

export function client(base) {
	return (path, token, init = {}) =>
		fetch(`${base}${path}`, {
			...init,
			headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
		});
}

const jsonBody = (body) => ({
	method: "POST",
	body: JSON.stringify(body),
	headers: { "content-type": "application/json" },
});
const bytesOf = async (res) => new Uint8Array(await res.arrayBuffer());

/** The model and its devices, each with a token and the core dumps it had accepted. */
export async function createFleet(call, admin, count) {
	const created = await call(
		"/api/device-models",
		admin,
		jsonBody({ code: MODEL, name: "Load fleet", chip: "esp32" }),
	);
	if (created.status !== 201) throw new Error(`model: HTTP ${created.status}`);
	const devices = [];
	for (let i = 0; i < count; i++) {
		const res = await call(
			"/api/devices",
			admin,
			jsonBody({ model_code: MODEL, name: `load ${i}` }),
		);
		if (res.status !== 201) throw new Error(`device: HTTP ${res.status}`);
		const { key } = await res.json();
		const clientId = `iotdevice-${MODEL}-${key}`;
		devices.push({ key, token: await signLocalToken({ sub: clientId, azp: clientId }), dumps: [] });
	}
	return devices;
}

/**
 * The CI job: what it has stored (version → image and bundle hashes), the images by hash for
 * checking downloads, and the current version as of its last 200.
 */
export class Pipeline {
	stored = new Map();
	images = new Map();
	sent = new Set();
	current = null;
	releases = 0;

	constructor(call, token, tally) {
		this.call = call;
		this.token = token;
		this.tally = tally;
	}

	next() {
		this.releases++;
		return buildRelease(MODEL, {
			version: `1.0.${this.releases}`,
			seed: this.releases,
			imageSize: IMAGE_SIZE,
			elfSize: ELF_SIZE,
		});
	}

	async upload(release, format) {
		this.sent.add(release.version);
		const res = await this.tally.timed(
			"upload",
			() =>
				this.call(`/api/pipeline/models/${MODEL}/firmware`, this.token, {
					method: "POST",
					body: format === "zip" ? release.zip : release.image,
					headers: { "content-type": "application/octet-stream" },
				}),
			async (r) => {
				const answer = await r.json();
				if (r.status === 200 && answer.sha256 !== release.sha256) {
					this.tally.fail(`upload: stored ${answer.sha256}`);
				}
			},
		);
		if (res?.status !== 200) return;
		this.images.set(release.sha256, release.image);
		this.stored.set(release.version, {
			sha256: release.sha256,
			zipSha256: format === "zip" ? release.zipSha256 : null,
		});
		this.current = { version: release.version, sha256: release.sha256 };
	}

	/**
	 * Uploads until the deadline, one at a time with a pause: mostly new versions (ZIP, every
	 * third a bare image); every fifth the last release again (unchanged), every seventh the
	 * current version rebuilt with other bytes (replaced).
	 */
	async lane(deadline) {
		let last = null;
		for (let n = 1; performance.now() < deadline; n++) {
			if (n % 5 === 0 && last) {
				await this.upload(last.release, last.format);
			} else if (n % 7 === 0 && last) {
				const { version } = last.release;
				const image = buildImage({
					version,
					seed: 10_000 + n,
					size: IMAGE_SIZE,
					elfSha256: "0".repeat(64),
				});
				last = { release: { version, image, sha256: sha256Hex(image) }, format: "bin" };
				await this.upload(last.release, "bin");
			} else {
				last = { release: this.next(), format: n % 3 === 0 ? "bin" : "zip" };
				await this.upload(last.release, last.format);
			}
			await sleep(500);
		}
	}
}

/** One device request of each kind, checked as it is read. */
export function deviceRequests(call, tally, pipeline) {
	const etagOf = (res) => res.headers.get("etag")?.replaceAll('"', "");
	return {
		download: (d) =>
			tally.timed(
				"download",
				() => call("/api/iot/firmware", d.token),
				async (res) => {
					const body = await bytesOf(res);
					if (res.status !== 200) return;
					if (Number(res.headers.get("content-length")) !== body.length)
						tally.fail("download: length");
					if (sha256Hex(body) !== etagOf(res))
						tally.fail("download: bytes do not hash to the ETag");
				},
			),
		// A resumed or partial download: one 64 KiB chunk of the image, by its hash.
		range: (d) => {
			const { sha256 } = pipeline.current;
			const image = pipeline.images.get(sha256);
			const start = Math.floor(Math.random() * Math.ceil(image.length / CHUNK)) * CHUNK;
			const end = Math.min(start + CHUNK, image.length);
			const range = end === image.length ? `bytes=${start}-` : `bytes=${start}-${end - 1}`;
			return tally.timed(
				"range",
				() => call(`/api/iot/firmware/${sha256}`, d.token, { headers: { range } }),
				async (res) => {
					const body = await bytesOf(res);
					if (res.status !== 206) return;
					const expected = `bytes ${start}-${end - 1}/${image.length}`;
					const got = res.headers.get("content-range");
					if (got !== expected) tally.fail(`range: Content-Range ${got}, not ${expected}`);
					if (!Buffer.from(body).equals(image.subarray(start, end)))
						tally.fail("range: bytes differ");
				},
			);
		},
		revalidate: (d) => {
			const { sha256 } = pipeline.current;
			return tally.timed(
				"revalidate",
				() => call("/api/iot/firmware", d.token, { headers: { "if-none-match": `"${sha256}"` } }),
				async (res) => {
					const body = await bytesOf(res);
					if (res.status === 304 && body.length !== 0) tally.fail("revalidate: 304 with a body");
					if (res.status === 200 && sha256Hex(body) !== etagOf(res)) {
						tally.fail("revalidate: bytes do not hash to the ETag");
					}
				},
			);
		},
		head: (d) =>
			tally.timed(
				"head",
				() => call("/api/iot/firmware", d.token, { method: "HEAD" }),
				async (res) => {
					await res.arrayBuffer();
					if (res.status === 200 && !(Number(res.headers.get("content-length")) > 0)) {
						tally.fail("head: no Content-Length");
					}
				},
			),
		version: (d) =>
			tally.timed(
				"version",
				() => call("/api/iot/firmware-version", d.token),
				async (res) => {
					const { firmware_version: version } = await res.json();
					// A version being uploaded may already be current before its answer arrives.
					if (res.status === 200 && !pipeline.sent.has(version)) tally.fail(`version: ${version}`);
				},
			),
		coredump: (d) => {
			const body = noise(
				8192 + Math.floor(Math.random() * 57_344),
				1 + Math.floor(Math.random() * 2 ** 30),
			);
			const { version } = pipeline.current;
			return tally.timed(
				"coredump",
				() =>
					call(`/api/iot/coredump?chip=esp32&firmware_version=${version}`, d.token, {
						method: "POST",
						body,
						headers: { "content-type": "application/octet-stream" },
					}),
				async (res) => {
					const answer = await res.json();
					if (res.status === 201) d.dumps.push({ id: answer.id, sha256: sha256Hex(body) });
					if (res.status === 429 && !res.headers.get("retry-after")) {
						tally.fail("coredump: 429 without Retry-After");
					}
				},
			);
		},
	};
}

/** A device connection: random devices, requests picked by MIX, until the deadline. */
export async function deviceLane(requests, devices, deadline) {
	const kinds = Object.entries(MIX);
	const total = kinds.reduce((sum, [, weight]) => sum + weight, 0);
	const pick = () => {
		let r = Math.random() * total;
		for (const [kind, weight] of kinds) {
			r -= weight;
			if (r < 0) return kind;
		}
		return kinds[0][0];
	};
	while (performance.now() < deadline) {
		await requests[pick()](devices[Math.floor(Math.random() * devices.length)]);
	}
}
