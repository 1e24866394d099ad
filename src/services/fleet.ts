/** A model's fleet at a glance (SPEC §13): what devices report, when they were seen, what crashed. */
import { getModel } from "../db/device-models";
import type { ReportedState } from "../db/devices";
import { fleetCounts } from "../db/fleet";
import { countTargeted } from "../db/rollout-figures";
import { getOpenRollout } from "../db/rollouts";
import { modelNotFound } from "./device-models";

export interface FleetView {
	code: string;
	devices: number;
	/** Devices per reported version and state (nulls: never reported). */
	reported: { version: string | null; state: ReportedState | null; devices: number }[];
	/** Devices whose last request is older than 1, 7 and 30 days, and never seen ones. */
	not_seen: { days_1: number; days_7: number; days_30: number; never: number };
	/** Devices with a core dump, per firmware version they crashed on. */
	crashed: { firmware_version: string; devices: number }[];
	/** Active devices per version they are served, and why (pinned, rollout, current). */
	targets: { version: string | null; source: "pinned" | "rollout" | "current"; devices: number }[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function fleetOf(db: D1Database, code: string, now = new Date()): Promise<FleetView> {
	const model = await getModel(db, code);
	if (!model) throw modelNotFound(code);
	const ago = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
	const [counts, rollout] = await Promise.all([
		fleetCounts(db, code, [ago(1), ago(7), ago(30)]),
		getOpenRollout(db, code),
	]);
	const targeted = rollout ? await countTargeted(db, rollout) : 0;
	const targets: FleetView["targets"] = counts.pinned.map((p) => ({
		version: p.version,
		source: "pinned" as const,
		devices: p.devices,
	}));
	if (rollout) targets.push({ version: rollout.version, source: "rollout", devices: targeted });
	targets.push({
		version: model.firmware_version,
		source: "current",
		devices: counts.seen.active_unpinned - targeted,
	});
	return {
		code,
		devices: counts.seen.devices,
		reported: counts.reported,
		not_seen: {
			days_1: counts.seen.not_seen_1d,
			days_7: counts.seen.not_seen_7d,
			days_30: counts.seen.not_seen_30d,
			never: counts.seen.never,
		},
		crashed: counts.crashed,
		targets,
	};
}
