import type { RemovedVersions } from "../db/firmware-versions";
import type { Env } from "../env";
import { deleteKeys } from "../storage/objects";

/**
 * Removes the objects of versions D1 no longer has (deleted, replaced, pruned): each one's image,
 * bundle and ELF, and the ELF indexes that went with them (an index is shared by the versions
 * with that ELF; D1 dropped its row in the batch that removed the last of them).
 */
export async function removeVersionObjects(env: Env, removed: RemovedVersions): Promise<void> {
	const own = removed.rows.flatMap((r) => [r.image_key, r.bundle_key, r.elf_key]);
	await deleteKeys(env.BLOBS, [...own.filter((k) => k !== null), ...removed.droppedIndexKeys]);
}
