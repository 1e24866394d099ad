/** RFC 4648 base32 in lower case: the alphabet of device keys and core dump file names. */
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** `length` random base32 characters, 5 uniform random bits each. */
export function randomBase32(length: number): string {
	let text = "";
	for (const byte of crypto.getRandomValues(new Uint8Array(length))) text += BASE32[byte & 31];
	return text;
}
