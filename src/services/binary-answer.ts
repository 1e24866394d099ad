/**
 * What a download answers, decided by a service: which bytes, with which status and which
 * headers. The HTTP layer turns it into a Response (src/http/binary-response.ts); services
 * never build one.
 */
export type BinaryAnswer =
	| {
			status: 200 | 206;
			headers: Record<string, string>;
			body: ReadableStream | Uint8Array<ArrayBuffer>;
	  }
	/** Headers only: 304, or a HEAD request. */
	| { status: 200 | 206 | 304; headers: Record<string, string>; body: null };

/** A client's conditions on an image download, as its request states them (SPEC §6.4). */
export interface ImageConditions {
	/** HEAD: the headers only, answered from D1 alone. */
	headersOnly: boolean;
	ifNoneMatch: string | null;
	range: string | null;
	ifRange: string | null;
}
