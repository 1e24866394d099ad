import {
	type CrashGroupRow,
	getCrashGroup,
	listCrashGroups,
	listGroupDumps,
} from "../db/crash-groups";
import { NotFound } from "../errors";
import { getModelOrThrow } from "./device-models";

/** A model's crash groups (SPEC §11), as operators read them. */

export interface CrashGroup {
	signature: string;
	title: string;
	kind: string;
	exception: string | null;
	frames: string[];
	symbolized: boolean;
	count: number;
	device_count: number;
	firmware_versions: string[];
	first_seen: string;
	last_seen: string;
	latest_coredump: { device_key: string; id: string };
}

export interface GroupDump {
	id: string;
	device_key: string;
	firmware_version: string;
	uploaded_at: string;
	status: string | null;
	stored: boolean;
}

export type CrashGroupDetail = CrashGroup & { coredumps: GroupDump[] };

/** Groups per answer; a model with more shows its most recently seen. */
const LIST_LIMIT = 500;
/** Recent dumps shown with a group. */
const RECENT_DUMPS = 50;

export interface CrashFilter {
	firmware_version?: string;
	/** ISO 8601 date or date-time. */
	since?: string;
}

export async function listModelCrashes(
	db: D1Database,
	code: string,
	filter: CrashFilter,
): Promise<CrashGroup[]> {
	await getModelOrThrow(db, code);
	const rows = await listCrashGroups(db, code, {
		firmwareVersion: filter.firmware_version ?? null,
		since: filter.since === undefined ? null : new Date(filter.since).toISOString(),
		limit: LIST_LIMIT,
	});
	return rows.map(toCrashGroup);
}

export async function getModelCrash(
	db: D1Database,
	code: string,
	signature: string,
): Promise<CrashGroupDetail> {
	await getModelOrThrow(db, code);
	const row = await getCrashGroup(db, code, signature);
	if (!row) {
		throw new NotFound(
			"CRASH_GROUP_NOT_FOUND",
			`Model '${code}' has no crash group '${signature}'.`,
			{ code, signature },
		);
	}
	const dumps = await listGroupDumps(db, code, signature, RECENT_DUMPS);
	return {
		...toCrashGroup(row),
		coredumps: dumps.map((d) => ({
			id: d.coredump_id,
			device_key: d.device_key,
			firmware_version: d.firmware_version,
			uploaded_at: d.seen_at,
			status: d.status,
			stored: d.status !== null,
		})),
	};
}

function toCrashGroup(row: CrashGroupRow): CrashGroup {
	return {
		signature: row.signature,
		title: row.title,
		kind: row.kind,
		exception: row.exception,
		frames: JSON.parse(row.frames) as string[],
		symbolized: row.symbolized === 1,
		count: row.count,
		device_count: row.device_count,
		firmware_versions: (JSON.parse(row.firmware_versions) as string[]).sort(),
		first_seen: row.first_seen ?? "",
		last_seen: row.last_seen ?? "",
		latest_coredump: { device_key: row.latest_device_key ?? "", id: row.latest_coredump_id ?? "" },
	};
}
