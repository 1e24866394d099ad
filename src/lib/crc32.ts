/**
 * CRC-32 (IEEE 802.3, the ZIP checksum), incremental and table driven: slicing-by-8 over one
 * 8 × 256 table, so a bundle's tens of MiB are checked at memory speed rather than bit by bit.
 */

const POLYNOMIAL = 0xedb88320;

/** Row k holds the CRC of each byte value followed by k zero bytes. */
const TABLE = buildTable();

function buildTable(): Uint32Array {
	const table = new Uint32Array(8 * 256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let bit = 0; bit < 8; bit++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
		table[n] = c;
	}
	for (let n = 0; n < 256; n++) {
		let c = table[n] as number;
		for (let row = 1; row < 8; row++) {
			c = (table[c & 0xff] as number) ^ (c >>> 8);
			table[row * 256 + n] = c;
		}
	}
	return table;
}

/**
 * The CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before them; 0 to
 * start). `crc32(b, crc32(a))` equals the CRC of `a` followed by `b`.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
	const t = TABLE;
	let crc = ~previous;
	let i = 0;
	const whole = bytes.length - (bytes.length % 8);
	while (i < whole) {
		const low =
			crc ^
			((bytes[i] as number) |
				((bytes[i + 1] as number) << 8) |
				((bytes[i + 2] as number) << 16) |
				((bytes[i + 3] as number) << 24));
		crc =
			(t[1792 + (low & 0xff)] as number) ^
			(t[1536 + ((low >>> 8) & 0xff)] as number) ^
			(t[1280 + ((low >>> 16) & 0xff)] as number) ^
			(t[1024 + (low >>> 24)] as number) ^
			(t[768 + (bytes[i + 4] as number)] as number) ^
			(t[512 + (bytes[i + 5] as number)] as number) ^
			(t[256 + (bytes[i + 6] as number)] as number) ^
			(t[bytes[i + 7] as number] as number);
		i += 8;
	}
	while (i < bytes.length) {
		crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
		i++;
	}
	return ~crc >>> 0;
}
