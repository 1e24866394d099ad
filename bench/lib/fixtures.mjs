// The files a run uploads and serves, made once and kept in bench/out/fixtures (a 100 MiB
// bundle takes seconds to deflate): named by what they were made from.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildAppImage, buildBundle, noise, sha256Hex } from "./firmware.mjs";
import { OUT } from "./servers.mjs";

/** Bump when the generators change, so stale files are not reused. */
const GENERATION = 1;
const DIR = join(OUT, "fixtures");

export function cached(kind, params, make) {
	mkdirSync(DIR, { recursive: true });
	const id = createHash("sha256")
		.update(JSON.stringify({ GENERATION, kind, params }))
		.digest("hex")
		.slice(0, 16);
	const file = join(DIR, `${kind}-${id}.bin`);
	const metaFile = `${file}.json`;
	if (existsSync(file) && existsSync(metaFile)) {
		return { file, ...JSON.parse(readFileSync(metaFile, "utf8")) };
	}
	const { bytes, ...meta } = make();
	writeFileSync(file, bytes);
	const full = { ...meta, size: bytes.byteLength };
	writeFileSync(metaFile, JSON.stringify(full));
	return { file, ...full };
}

/** A bare app image (what devices download), version and size as given. */
export function appImage({ version, size, seed }) {
	return cached("image", { version, size, seed }, () => {
		const bytes = buildAppImage({ version, size, seed });
		return { bytes, sha256: sha256Hex(bytes), version };
	});
}

/** A CI bundle; `imageSha256` is what a device then downloads. */
export function bundle(params) {
	return cached("bundle", params, () => {
		const { zip, image, imageSha256 } = buildBundle(params);
		return { bytes: zip, imageSha256, imageSize: image.byteLength, version: params.version };
	});
}

/** A core dump's worth of bytes. */
export function coredump(size) {
	return cached("coredump", { size }, () => ({ bytes: noise(size, size) }));
}
