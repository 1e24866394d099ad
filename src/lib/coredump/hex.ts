/** An address as the API writes it: `0x…`, lower case, no padding. */
export function hex(value: number): string {
	return `0x${(value >>> 0).toString(16)}`;
}
