import { z } from "@hono/zod-openapi";
import { isKnownChip, KNOWN_CHIPS } from "../lib/chips";
import { FirmwareVersion, ModelCode } from "./common";

export const Chip = z
	.string()
	.refine(isKnownChip, `must be one of ${KNOWN_CHIPS.join(", ")}`)
	.openapi({ example: "esp32c3" });

const Name = z.string().trim().min(1).max(200).openapi({ example: "Thermostat v2" });

export const DeviceModelSchema = z
	.object({
		code: ModelCode,
		name: z.string(),
		chip: Chip.nullable(),
		firmware_version: FirmwareVersion.nullable(),
		device_count: z.number().int(),
		created_at: z.string(),
		updated_at: z.string(),
	})
	.openapi("DeviceModel");

export const DeviceModelList = z
	.object({ device_models: z.array(DeviceModelSchema), count: z.number().int() })
	.openapi("DeviceModelList");

export const CreateDeviceModel = z
	.object({ code: ModelCode, name: Name, chip: Chip.nullable().optional() })
	.strict()
	.openapi("CreateDeviceModel");

export const PatchDeviceModel = z
	.object({ name: Name.optional(), chip: Chip.nullable().optional() })
	.strict()
	.openapi("PatchDeviceModel");
