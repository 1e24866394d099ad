/**
 * The `Range` header of a firmware download (RFC 9110 §14), reduced to one decision.
 *
 * ESP-IDF's OTA client asks for `bytes=a-b` in 64 KiB steps (an end one past the last byte is
 * normal and is clamped), finishes with `bytes=a-`, resumes with `bytes=N-` and learns the size
 * with `bytes=0-0`. Anything but 206 for those restarts it from zero, so the single-range forms are
 * handled exactly and everything else falls back to the whole image.
 *
 * "full" covers: no header, an empty or over-long header, a unit other than `bytes`, any syntax
 * error (including `b < a`), and more than one range. RFC 9110 §14.2 lets a server ignore Range;
 * a multipart answer would be of no use to a device, and a 200 with the whole image is always a
 * correct answer. An empty representation also gets "full": no 206 can describe zero bytes.
 */

export type RangeDecision =
	| { kind: "full" }
	| { kind: "partial"; offset: number; length: number; end: number }
	| { kind: "unsatisfiable" };

/** Longer headers are ignored unread; a device's `bytes=a-b` is about 25 characters. */
export const MAX_RANGE_HEADER_LENGTH = 256;

const FULL: RangeDecision = { kind: "full" };
const UNSATISFIABLE: RangeDecision = { kind: "unsatisfiable" };

/** OWS (space, tab) at both ends: RFC 9110 allows it around the field value and list members. */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;
const UNIT = /^bytes$/i;
const RANGE_SPEC = /^([0-9]*)-([0-9]*)$/;

export function parseRange(header: string | null, size: number): RangeDecision {
	if (!Number.isSafeInteger(size) || size < 0) {
		throw new RangeError(`representation size must be a non-negative integer, got ${size}`);
	}
	if (header === null || header.length > MAX_RANGE_HEADER_LENGTH) return FULL;

	const eq = header.indexOf("=");
	if (eq < 0) return FULL;
	// No whitespace is allowed between the unit and "=": `bytes =0-1` is not a Range.
	if (!UNIT.test(header.slice(0, eq).replace(/^[ \t]+/, ""))) return FULL;

	// A list may hold empty members (`bytes=0-1,`), which recipients must skip (RFC 9110 §5.6.1).
	const specs = header
		.slice(eq + 1)
		.split(",")
		.map((member) => member.replace(OWS_EDGES, ""))
		.filter((member) => member !== "");
	if (specs.length !== 1) return FULL;

	const match = RANGE_SPEC.exec(specs[0] ?? "");
	const firstDigits = match?.[1];
	const lastDigits = match?.[2];
	if (firstDigits === undefined || lastDigits === undefined) return FULL;

	// BigInt keeps positions of any length exact; only values below `size` become numbers.
	const total = BigInt(size);
	if (firstDigits === "") {
		if (lastDigits === "") return FULL;
		const suffix = BigInt(lastDigits);
		if (suffix === 0n) return UNSATISFIABLE;
		if (size === 0) return FULL;
		const offset = suffix >= total ? 0 : size - Number(suffix);
		return partial(offset, size - 1);
	}

	const first = BigInt(firstDigits);
	const last = lastDigits === "" ? null : BigInt(lastDigits);
	if (last !== null && last < first) return FULL;
	if (first >= total) return UNSATISFIABLE;
	const end = last === null || last >= total ? size - 1 : Number(last);
	return partial(Number(first), end);
}

function partial(offset: number, end: number): RangeDecision {
	return { kind: "partial", offset, length: end - offset + 1, end };
}

/** The `Content-Range` of a 206: `bytes a-b/total` (a total is required by ESP-IDF). */
export function contentRange(offset: number, end: number, size: number): string {
	return `bytes ${offset}-${end}/${size}`;
}

/** The `Content-Range` of a 416: an asterisk in place of the range, then the total. */
export function unsatisfiedRange(size: number): string {
	return `bytes */${size}`;
}
