/**
 * The JSON shapes the console reads. Shapes of endpoints this server already has are the
 * server's own zod schemas (a change there is a type error here); the rest are written from
 * the SPEC (§10, §11, §13) and are the one place to adjust when those endpoints land.
 */
import type { z } from "@hono/zod-openapi";
import type {
	AnalysisStatus,
	CoredumpAnalysis,
	CrashException,
} from "../../src/lib/coredump/analysis";
import type { CoredumpSchema } from "../../src/schemas/coredumps";
import type { DeviceModelSchema } from "../../src/schemas/device-models";
import type { DeviceSchema } from "../../src/schemas/devices";
import type { FirmwareVersionSchema, UploadResultSchema } from "../../src/schemas/firmware";

export type { CoredumpAnalysis, Frame, TaskAnalysis } from "../../src/lib/coredump/analysis";

export type DeviceModel = z.infer<typeof DeviceModelSchema>;
export type FirmwareVersion = z.infer<typeof FirmwareVersionSchema>;
export type UploadResult = z.infer<typeof UploadResultSchema>;

/** SPEC §13: what a device reports and what it is served. */
export interface DeviceTargeting {
	pinned_version: string | null;
	target_version: string | null;
	reported_version: string | null;
	reported_state: string | null;
	reported_at: string | null;
	last_seen_at: string | null;
}
export type Device = z.infer<typeof DeviceSchema> & Partial<DeviceTargeting>;

/** SPEC §10: the list carries these fields of a dump's analysis. */
export interface AnalysisSummary {
	status: AnalysisStatus;
	crashed_task: { tcb: string; name: string } | null;
	panic_reason: string | null;
	exception: CrashException | null;
	signature: string | null;
}
export type Coredump = z.infer<typeof CoredumpSchema> & Partial<AnalysisSummary>;
export type CoredumpDetail = Coredump & { analysis?: CoredumpAnalysis | null };

/** SPEC §13 rollouts. */
export type RolloutState = "active" | "paused" | "halted" | "completed" | "aborted";
export interface RolloutStep {
	percent: number;
	after_minutes: number;
}
/** Rates are fractions of 1 (0.05 = 5 % of the devices running the target). */
export interface RolloutGuard {
	max_crash_rate: number;
	max_failure_rate?: number | null;
	min_devices: number;
}
export interface Rollout {
	id: string;
	version: string;
	baseline_version: string | null;
	percent: number;
	state: RolloutState;
	steps: RolloutStep[] | null;
	guard: RolloutGuard | null;
	/** Why the guard halted it, with the figures. */
	halted_reason: string | null;
	devices_targeted: number;
	created_at: string;
	updated_at: string;
}
export interface NewRollout {
	version: string;
	percent: number;
	steps?: RolloutStep[];
	guard?: RolloutGuard;
}
export type RolloutAction = "pause" | "resume" | "complete" | "abort";

/** SPEC §11 crash groups. */
export interface CrashGroup {
	signature: string;
	title: string;
	exception: string | null;
	frames: string[];
	count: number;
	device_count: number;
	firmware_versions: string[];
	first_seen: string;
	last_seen: string;
	latest_coredump: { device_key: string; id: string } | null;
}
export interface CrashGroupDetail extends CrashGroup {
	coredumps: Coredump[];
}

/**
 * SPEC §13 fleet: devices per reported version and state, devices not seen for 1/7/30 days,
 * crashed devices per version. The SPEC names no keys, so the console shows whatever tables
 * and figures the answer holds (see ui/json-view.tsx).
 */
export type Fleet = Record<string, unknown>;
