import { pingDatabase } from "../db/health";
import { pingBucket } from "../storage/health";

export interface Check {
	ok: boolean;
	error?: string;
}

export interface StorageHealth {
	ok: boolean;
	checks: { d1: Check; r2: Check };
}

/** Whether D1 and R2 answer, asked at once. */
export async function checkStorage(env: {
	DB: D1Database;
	BLOBS: R2Bucket;
}): Promise<StorageHealth> {
	const [d1, r2] = await Promise.all([
		probe(() => pingDatabase(env.DB)),
		probe(() => pingBucket(env.BLOBS)),
	]);
	return { ok: d1.ok && r2.ok, checks: { d1, r2 } };
}

async function probe(check: () => Promise<void>): Promise<Check> {
	try {
		await check();
		return { ok: true };
	} catch (err) {
		// The reason stays in the logs: storage errors never reach a client.
		console.error(JSON.stringify({ msg: "health check failed", error: String(err) }));
		return { ok: false, error: "not answering" };
	}
}
