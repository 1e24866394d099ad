import { z } from "@hono/zod-openapi";
import { DeviceKey, ModelCode } from "./common";
import { CoredumpId } from "./coredumps";

/** Crash groups of a model (SPEC §11). */

export const Signature = z
	.string()
	.regex(/^[0-9A-Za-z_:-]{1,128}$/, "must be a crash signature")
	.openapi({
		example: "3f9a6c0d21b7e845",
		description: "16 hex digits; `pc:` and 16 hex digits for a group of unsymbolized dumps",
	});

export const CrashGroupParams = z.object({
	code: ModelCode.openapi({ param: { name: "code", in: "path" } }),
	signature: Signature.openapi({ param: { name: "signature", in: "path" } }),
});

export const CrashGroupQuery = z.object({
	firmware_version: z
		.string()
		.regex(/^[0-9A-Za-z._+-]{1,64}$/, "must be a firmware version")
		.optional()
		.openapi({ param: { name: "firmware_version", in: "query" }, example: "2.0.1" }),
	since: z
		.string()
		.refine(
			(s) =>
				/^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(s) &&
				!Number.isNaN(Date.parse(s)),
			{
				message: "must be an ISO 8601 date or date-time",
			},
		)
		.optional()
		.openapi({ param: { name: "since", in: "query" }, example: "2026-10-01T00:00:00Z" }),
});

export const CrashGroupSchema = z
	.object({
		signature: Signature,
		title: z.string().openapi({ example: "abort() in fail_once ← app_main" }),
		kind: z
			.string()
			.openapi({ example: "abort", description: "`abort`, `assert` or the exception name" }),
		exception: z.string().nullable().openapi({ example: "StoreProhibited" }),
		frames: z.array(z.string()).openapi({ example: ["fail_once", "app_main"] }),
		symbolized: z.boolean().openapi({
			description:
				"false for a group of unsymbolized dumps, grouped by PCs until their ELF arrives",
		}),
		count: z.number().int(),
		device_count: z.number().int(),
		firmware_versions: z.array(z.string()),
		first_seen: z.string(),
		last_seen: z.string(),
		latest_coredump: z.object({ device_key: DeviceKey, id: CoredumpId }),
	})
	.openapi("CrashGroup");

export const CrashGroupList = z
	.object({ crashes: z.array(CrashGroupSchema), count: z.number().int() })
	.openapi("CrashGroupList");

export const CrashGroupDetail = CrashGroupSchema.extend({
	coredumps: z.array(
		z.object({
			id: CoredumpId,
			device_key: DeviceKey,
			firmware_version: z.string(),
			uploaded_at: z.string(),
			status: z.string().nullable().openapi({ description: "null once the dump was removed" }),
			stored: z.boolean().openapi({ description: "false once retention or a delete removed it" }),
		}),
	),
}).openapi("CrashGroupDetail");
