/** The cheapest statement D1 can answer: proof the database is reachable. */
export async function pingDatabase(db: D1Database): Promise<void> {
	await db.prepare("SELECT 1").first();
}
