import { z } from "@hono/zod-openapi";
import { DeviceKey, ModelCode } from "./common";

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
	.object({ name: Name.nullable().optional(), active: z.boolean().optional() })
	.strict()
	.openapi("PatchDevice");

export const DeviceKeyParam = z.object({
	key: DeviceKey.openapi({ param: { name: "key", in: "path" } }),
});

export const DeviceListQuery = z.object({
	model: ModelCode.optional().openapi({ param: { name: "model", in: "query" } }),
});
