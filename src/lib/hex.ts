const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lower-case hex of bytes (hashes in ETags, keys and API fields). */
export function toHex(bytes: Uint8Array): string {
	let out = "";
	for (const byte of bytes) out += HEX[byte];
	return out;
}

export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
	return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}
