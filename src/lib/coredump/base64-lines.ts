/** Value of each base64 alphabet byte, -1 for bytes outside it ('=' handled apart). */
const VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
	VALUE["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
}
const EQUALS = 0x3d;

/**
 * True when text[start, end) is one base64 group run: a multiple of 4 characters of the
 * alphabet, with '=' padding only in the last one or two places.
 */
export function isBase64Token(text: Uint8Array, start: number, end: number): boolean {
	const length = end - start;
	if (length <= 0 || length % 4 !== 0) return false;
	for (let i = start; i < end; i++) {
		const c = text[i] as number;
		if (VALUE[c] !== -1) continue;
		if (c !== EQUALS) return false;
		// '=' is allowed as the last char, or as the last two.
		if (!(i === end - 1 || (i === end - 2 && text[end - 1] === EQUALS))) return false;
	}
	return true;
}

/** Decoded size of a valid token. */
export function decodedLength(text: Uint8Array, start: number, end: number): number {
	let pad = 0;
	if (text[end - 1] === EQUALS) pad++;
	if (text[end - 2] === EQUALS) pad++;
	return ((end - start) / 4) * 3 - pad;
}

/**
 * Decodes a valid token (see isBase64Token) into out at `at`; returns the new write position.
 * Each UART line is its own base64 text with its own padding, so lines decode one by one.
 */
export function decodeToken(
	text: Uint8Array,
	start: number,
	end: number,
	out: Uint8Array,
	at: number,
): number {
	let o = at;
	for (let i = start; i < end; i += 4) {
		const a = VALUE[text[i] as number] as number;
		const b = VALUE[text[i + 1] as number] as number;
		const c3 = text[i + 2] as number;
		const c4 = text[i + 3] as number;
		out[o++] = (a << 2) | (b >> 4);
		if (c3 === EQUALS) break;
		const c = VALUE[c3] as number;
		out[o++] = ((b & 15) << 4) | (c >> 2);
		if (c4 === EQUALS) break;
		out[o++] = ((c & 3) << 6) | (VALUE[c4] as number);
	}
	return o;
}
