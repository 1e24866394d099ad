/**
 * Conditional request headers of a firmware download (RFC 9110 §13).
 *
 * An image's ETag is its SHA-256 as a strong tag, so a device can send the hash of the image it
 * runs in `If-None-Match` and get a 304 when there is nothing new. Entity tags are compared byte
 * for byte: `W/` must be upper-case and the hex must be lower-case, as we send it.
 */
import { isSha256Hex } from "./identifiers.ts";

/** etagc: `!`, `#` to `~`, and obs-text; no space, no control, no `"`. */
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"$/;
/**
 * One member of an entity-tag list, at the sticky position: a well-formed tag followed by a comma
 * or the end, else anything up to the next comma (ignored). A comma inside quotes stays part of a
 * well-formed tag.
 */
const LIST_MEMBER = /[ \t]*(?:(?:W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"[ \t]*(?=,|$)|[^,]*)/y;
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

interface EntityTag {
	weak: boolean;
	opaque: string;
}

/** The ETag of an app image: its SHA-256 (lower-case hex) as a strong entity tag. */
export function etagFor(sha256: string): string {
	if (!isSha256Hex(sha256)) throw new TypeError("an ETag is made from a lower-case SHA-256 hex");
	return `"${sha256}"`;
}

/**
 * Whether `If-None-Match` names the current representation, by weak comparison (RFC 9110
 * §13.1.2): `W/"x"` matches `"x"`. `*` matches, since it is only asked about an existing image.
 * Malformed list members are skipped; a header with nothing well-formed matches nothing.
 */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
	if (header === null) return false;
	const own = parseEntityTag(etag);
	if (header.replace(OWS_EDGES, "") === "*") return true;
	for (const opaque of listedOpaqueTags(header)) {
		if (opaque === own.opaque) return true;
	}
	return false;
}

/**
 * Whether a `Range` may be honoured under `If-Range` (RFC 9110 §13.1.5). Only a strong tag equal
 * to ours allows it; a weak tag, an HTTP-date (we send no Last-Modified) or anything else means
 * the whole image is sent. Without the header the range stands.
 */
export function ifRangeAllowsRange(header: string | null, etag: string): boolean {
	if (header === null) return true;
	const own = parseEntityTag(etag);
	const theirs = ENTITY_TAG.exec(header.replace(OWS_EDGES, ""));
	if (theirs === null || theirs[1] !== undefined || own.weak) return false;
	return theirs[2] === own.opaque;
}

function parseEntityTag(etag: string): EntityTag {
	const match = ENTITY_TAG.exec(etag);
	if (match?.[2] === undefined) throw new TypeError(`not an entity tag: ${etag}`);
	return { weak: match[1] !== undefined, opaque: match[2] };
}

function listedOpaqueTags(list: string): string[] {
	const tags: string[] = [];
	let position = 0;
	while (position <= list.length) {
		LIST_MEMBER.lastIndex = position;
		const match = LIST_MEMBER.exec(list);
		if (match === null) break;
		if (match[1] !== undefined) tags.push(match[1]);
		// The member ends at a comma or at the end; step over the comma.
		position = LIST_MEMBER.lastIndex + 1;
	}
	return tags;
}
