import { z } from "@hono/zod-openapi";
import { KNOWN_CHIPS } from "../lib/chips";
import { COREDUMP_FIRMWARE_VERSION } from "../lib/identifiers";
import { DeviceKey, ModelCode, Sha256 } from "./common";
import {
	AnalysisErrorCode,
	AnalysisStatus,
	CoredumpAnalysisSchema,
	CrashException,
	CrashedTask,
} from "./coredump-analysis";

const CHIP_NAMES = KNOWN_CHIPS as [string, ...string[]];
const required = (otherwise: string) => (issue: { input: unknown }) =>
	issue.input === undefined ? "is required" : otherwise;

export const CoredumpUploadQuery = z.object({
	chip: z
		.enum(CHIP_NAMES, { error: required(`must be one of ${CHIP_NAMES.join(", ")}`) })
		.openapi({ param: { name: "chip", in: "query" }, example: "esp32s3" }),
	firmware_version: z
		.string({ error: required("must be a string") })
		.regex(COREDUMP_FIRMWARE_VERSION, "must be 1-64 characters of 0-9 A-Z a-z . _ + -")
		.openapi({ param: { name: "firmware_version", in: "query" }, example: "1.4.2" }),
});

/** The request body is the raw core dump: described for the document, never parsed by zod. */
export const coredumpUploadBody = {
	required: true,
	description:
		"The raw core dump as the device read it from its coredump partition, 1 byte to COREDUMP_MAX_BYTES.",
	content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
};

const Filename = z
	.string()
	.openapi({ example: "coredump_20261001T120304_123k7dq2mxa5pcf3x9aZ.dmp" });
export const CoredumpId = z
	.string()
	.regex(
		/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
		"must be a core dump id (a lower-case UUID)",
	)
	.openapi({ example: "3b1f8c52-9d0e-4f57-a3c2-5e0b7d9a6f14" });

export const CoredumpUploaded = z
	.object({ status: z.literal("ok"), filename: Filename, id: CoredumpId })
	.openapi("CoredumpUploaded");

export const CoredumpSchema = z
	.object({
		id: CoredumpId,
		filename: Filename,
		device_key: DeviceKey,
		model_code: ModelCode,
		chip: z.string().openapi({ example: "esp32s3" }),
		firmware_version: z.string().openapi({ example: "1.4.2" }),
		size: z.number().int(),
		sha256: Sha256,
		uploaded_at: z.string().openapi({ example: "2026-10-01T12:03:04.123Z" }),
		// The analysis in brief (SPEC §10); the whole of it is in CoredumpDetail.
		status: AnalysisStatus,
		error_code: AnalysisErrorCode.nullable(),
		crashed_task: CrashedTask.nullable(),
		panic_reason: z.string().nullable(),
		exception: CrashException.nullable(),
		signature: z.string().nullable(),
	})
	.openapi("Coredump");

export const CoredumpDetail = CoredumpSchema.extend({ analysis: CoredumpAnalysisSchema }).openapi(
	"CoredumpDetail",
);

export const CoredumpList = z
	.object({ coredumps: z.array(CoredumpSchema), count: z.number().int() })
	.openapi("CoredumpList");

export const CoredumpParams = z.object({
	key: DeviceKey.openapi({ param: { name: "key", in: "path" } }),
	id: CoredumpId.openapi({ param: { name: "id", in: "path" } }),
});

export const coredumpDownloadResponse = {
	description: "The raw core dump, as an attachment under its stored file name",
	content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
};
