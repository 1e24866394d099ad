/** Rows per query when reading a model's fleet: keeps each D1 result small for large fleets. */
export const DEVICE_KEY_PAGE_SIZE = 1000;

/**
 * One page of a model's active device keys, in key order, after `afterKey` ("" for the first
 * page). Keyset paging rides the (model_code, key) index.
 */
export async function listActiveDeviceKeysPage(
	db: D1Database,
	modelCode: string,
	afterKey: string,
	limit: number = DEVICE_KEY_PAGE_SIZE,
): Promise<string[]> {
	const { results } = await db
		.prepare(
			`SELECT key FROM devices WHERE model_code = ?1 AND active = 1 AND key > ?2
       ORDER BY key LIMIT ?3`,
		)
		.bind(modelCode, afterKey, limit)
		.all<{ key: string }>();
	return results.map((row) => row.key);
}

/** Every active device key of a model, in key order, read a page at a time. */
export async function listActiveDeviceKeys(
	db: D1Database,
	modelCode: string,
	pageSize: number = DEVICE_KEY_PAGE_SIZE,
): Promise<string[]> {
	const keys: string[] = [];
	let afterKey = "";
	for (;;) {
		const page = await listActiveDeviceKeysPage(db, modelCode, afterKey, pageSize);
		keys.push(...page);
		const last = page.at(-1);
		if (page.length < pageSize || last === undefined) return keys;
		afterKey = last;
	}
}
