/**
 * What a read needs of D1: the database binding itself (always the primary, so a request sees
 * its own writes) or a session of the D1 Sessions API (any read replica may answer).
 */
export type D1Reader = Pick<D1Database, "prepare" | "batch">;

/**
 * Reads made on a device's behalf: the first may be answered by any replica, the nearest one
 * included, and later reads of the same session see at least what the first saw. Devices never
 * read their own writes on these paths, so no bookmark is carried between requests. Admin and
 * pipeline requests use the binding itself and always see their own writes.
 */
export function deviceReads(db: D1Database): D1Reader {
	return db.withSession("first-unconstrained");
}
