import { z } from "@hono/zod-openapi";
import { ROLLOUT_STATES } from "../lib/rollout-state";
import { MAX_AFTER_MINUTES, MAX_STEPS, stepProblems } from "../lib/rollout-steps";
import { FirmwareVersion, ModelCode } from "./common";

/** 0–100 in hundredths of a percent, the granularity of the membership hash. */
const Percent = z
	.number()
	.min(0)
	.max(100)
	.refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, "at most two decimals")
	.openapi({ example: 5 });
const Rate = z.number().min(0).max(1);

export const RolloutStepSchema = z
	.object({
		percent: Percent,
		after_minutes: z.number().int().min(1).max(MAX_AFTER_MINUTES),
	})
	.strict()
	.openapi("RolloutStep", { example: { percent: 25, after_minutes: 60 } });

export const CrashGuardSchema = z
	.object({
		max_crash_rate: Rate.openapi({
			description: "Share (0–1) of devices running the target with a core dump from it",
			example: 0.02,
		}),
		max_failure_rate: Rate.nullable().optional().openapi({
			description: "Share (0–1) of targeted devices that reported failed or rolled_back",
			example: 0.1,
		}),
		min_devices: z.number().int().min(1).max(10_000_000).openapi({ example: 20 }),
	})
	.strict()
	.openapi("CrashGuard");

export const StartRolloutSchema = z
	.object({
		version: FirmwareVersion,
		percent: Percent,
		steps: z.array(RolloutStepSchema).max(MAX_STEPS).optional(),
		guard: CrashGuardSchema.nullable().optional(),
	})
	.strict()
	.superRefine((body, ctx) => {
		for (const message of stepProblems(body.percent, body.steps ?? [])) {
			ctx.addIssue({ code: "custom", path: ["steps"], message });
		}
	})
	.openapi("StartRollout");

export const PatchRolloutSchema = z
	.object({ percent: Percent.optional(), guard: CrashGuardSchema.nullable().optional() })
	.strict()
	.refine((b) => b.percent !== undefined || b.guard !== undefined, "give percent or guard")
	.openapi("PatchRollout");

const HaltReasonSchema = z
	.object({
		rule: z.enum(["crash_rate", "failure_rate"]),
		message: z.string(),
		rate: z.number(),
		limit: z.number(),
		min_devices: z.number().int(),
		figures: z.object({
			devices_running: z.number().int(),
			devices_crashed: z.number().int(),
			devices_targeted: z.number().int(),
			devices_failed: z.number().int(),
		}),
	})
	.openapi("HaltReason");

export const RolloutSchema = z
	.object({
		id: z.string().openapi({ example: "3f9c0d1b2a4e5f67" }),
		version: FirmwareVersion,
		baseline_version: FirmwareVersion.nullable(),
		percent: z.number(),
		state: z.enum(ROLLOUT_STATES),
		steps: z.array(RolloutStepSchema),
		guard: CrashGuardSchema.nullable(),
		halted_reason: HaltReasonSchema.nullable(),
		devices_targeted: z.number().int(),
		created_at: z.string(),
		updated_at: z.string(),
	})
	.openapi("Rollout");

export const RolloutList = z
	.object({ rollouts: z.array(RolloutSchema), count: z.number().int() })
	.openapi("RolloutList");

export const RolloutEventList = z
	.object({
		events: z.array(
			z.object({
				revision: z.number().int(),
				action: z.string().openapi({ example: "percent" }),
				actor: z.string(),
				percent: z.number(),
				state: z.enum(ROLLOUT_STATES),
				details: z.record(z.string(), z.unknown()).nullable(),
				at: z.string(),
			}),
		),
		count: z.number().int(),
	})
	.openapi("RolloutEventList");

export const RolloutIdParams = z.object({
	code: ModelCode.openapi({ param: { name: "code", in: "path" } }),
	id: z
		.string()
		.regex(/^[0-9a-f]{16}$/, "must be 16 lower-case hex digits")
		.openapi({ param: { name: "id", in: "path" } }),
});

const ReportedStates = ["running", "downloading", "installing", "failed", "rolled_back"] as const;

export const FleetSchema = z
	.object({
		code: z.string(),
		devices: z.number().int(),
		reported: z.array(
			z.object({
				version: z.string().nullable(),
				state: z.enum(ReportedStates).nullable(),
				devices: z.number().int(),
			}),
		),
		not_seen: z.object({
			days_1: z.number().int(),
			days_7: z.number().int(),
			days_30: z.number().int(),
			never: z.number().int(),
		}),
		crashed: z.array(z.object({ firmware_version: z.string(), devices: z.number().int() })),
		targets: z.array(
			z.object({
				version: z.string().nullable(),
				source: z.enum(["pinned", "rollout", "current"]),
				devices: z.number().int(),
			}),
		),
	})
	.openapi("Fleet");

export const StatusReportSchema = z
	.object({
		firmware_version: FirmwareVersion,
		state: z.enum(ReportedStates),
		error: z.string().max(500).nullable().optional(),
	})
	.strict()
	.openapi("StatusReport");
