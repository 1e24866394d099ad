/** Listing the bucket a page at a time with each object's age, for the sweep of unreferenced objects. */

export interface ListedObject {
	key: string;
	uploaded: Date;
}

export interface ObjectPage {
	objects: ListedObject[];
	/** Where the next page starts; null after the last one. */
	cursor: string | null;
}

/** One page (at most 1000 objects, R2's own bound) under a prefix, from a cursor. */
export async function listObjectPage(
	bucket: R2Bucket,
	prefix: string,
	cursor: string | null,
	limit = 1000,
): Promise<ObjectPage> {
	const page = await bucket.list({ prefix, cursor: cursor ?? undefined, limit });
	return {
		objects: page.objects.map((o) => ({ key: o.key, uploaded: o.uploaded })),
		cursor: page.truncated ? page.cursor : null,
	};
}
