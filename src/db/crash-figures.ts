/**
 * How many devices crashed on a firmware version. The crash guard and the fleet view read
 * crashes only through this module. A device counts when D1 indexes a core dump of it on that
 * version — stored now (`coredumps`, also before its analysis ran) or remembered by the crash
 * groups (`crash_memberships`, which per-device retention and device deletes do not touch).
 */

const CRASHES = `(SELECT device_key, firmware_version FROM coredumps WHERE model_code = ?1
   UNION SELECT device_key, firmware_version FROM crash_memberships WHERE model_code = ?1)`;

/** Devices of the model with at least one core dump of the version. */
export function countCrashedDevicesStatement(
	db: D1Database,
	modelCode: string,
	version: string,
): D1PreparedStatement {
	return db
		.prepare(`SELECT count(DISTINCT device_key) AS n FROM ${CRASHES} WHERE firmware_version = ?2`)
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
			`SELECT firmware_version, count(DISTINCT device_key) AS devices FROM ${CRASHES}
       GROUP BY firmware_version ORDER BY devices DESC, firmware_version`,
		)
		.bind(modelCode);
}
