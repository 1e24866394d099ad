import { z } from "@hono/zod-openapi";
import { DeviceKey, FirmwareVersion, ModelCode } from "./common";

const Name = z.string().trim().min(1).max(200).openapi({ example: "Lab bench 3" });

export const DeviceSchema = z
	.object({
		key: DeviceKey,
		model_code: ModelCode,
		name: z.string().nullable(),
		active: z.boolean(),
		client_id: z.string().openapi({ example: "iotdevice-thermo_v2-k7dq2mxa" }),
		last_coredump_at: z.string().nullable(),
		created_at: z.string(),
		updated_at: z.string(),
		pinned_version: FirmwareVersion.nullable(),
		target_version: FirmwareVersion.nullable().openapi({
			description:
				"What the device is served now: its pinned version, its rollout's, or the current one",
		}),
		reported_version: z.string().nullable(),
		reported_state: z
			.enum(["running", "downloading", "installing", "failed", "rolled_back"])
			.nullable(),
		reported_error: z.string().nullable(),
		reported_at: z.string().nullable(),
		last_seen_at: z.string().nullable(),
	})
	.openapi("Device");

export const DeviceList = z
	.object({ devices: z.array(DeviceSchema), count: z.number().int() })
	.openapi("DeviceList");

export const CreateDevice = z
	.object({ model_code: ModelCode, name: Name.nullable().optional() })
	.strict()
	.openapi("CreateDevice");

export const PatchDevice = z
	.object({
		name: Name.nullable().optional(),
		active: z.boolean().optional(),
		pinned_version: FirmwareVersion.nullable().optional().openapi({
			description: "Pin the device to a stored version (wins over any rollout); null unpins",
		}),
	})
	.strict()
	.openapi("PatchDevice");

export const DeviceKeyParam = z.object({
	key: DeviceKey.openapi({ param: { name: "key", in: "path" } }),
});

export const DeviceListQuery = z.object({
	model: ModelCode.optional().openapi({ param: { name: "model", in: "query" } }),
});
