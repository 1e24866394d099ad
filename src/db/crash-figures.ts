/**
 * How many devices crashed on a firmware version, from the core dumps D1 indexes. The crash
 * guard and the fleet view read crashes only through this module, so a source that survives
 * the per-device dump retention (crash groups) replaces these two statements and nothing else.
 */

/** Devices of the model with at least one core dump of the version. */
export function countCrashedDevicesStatement(
	db: D1Database,
	modelCode: string,
	version: string,
): D1PreparedStatement {
	return db
		.prepare(
			`SELECT count(DISTINCT device_key) AS n FROM coredumps
       WHERE model_code = ?1 AND firmware_version = ?2`,
		)
		.bind(modelCode, version);
}

export async function countCrashedDevices(
	db: D1Database,
	modelCode: string,
	version: string,
): Promise<number> {
	const row = await countCrashedDevicesStatement(db, modelCode, version).first<{ n: number }>();
	return row?.n ?? 0;
}

/** Devices of the model with a core dump, per firmware version they crashed on. */
export function crashedDevicesPerVersionStatement(
	db: D1Database,
	modelCode: string,
): D1PreparedStatement {
	return db
		.prepare(
			`SELECT firmware_version, count(DISTINCT device_key) AS devices FROM coredumps
       WHERE model_code = ?1 GROUP BY firmware_version ORDER BY devices DESC, firmware_version`,
		)
		.bind(modelCode);
}
