import { z } from "@hono/zod-openapi";
import { FirmwareVersion, ModelCode, Sha256 } from "./common";

export const VersionParams = z.object({
	code: ModelCode.openapi({ param: { name: "code", in: "path" } }),
	version: FirmwareVersion.openapi({ param: { name: "version", in: "path" } }),
});

export const ShaParam = z.object({
	sha256: Sha256.openapi({ param: { name: "sha256", in: "path" } }),
});

export const UploadResultSchema = z
	.object({
		code: ModelCode,
		firmware_version: FirmwareVersion,
		format: z.enum(["zip", "bin"]),
		sha256: Sha256,
		size: z.number().int(),
		unchanged: z.boolean(),
		replaced: z.boolean(),
		attached: z.boolean().openapi({
			description:
				"A bundle attached to the same version uploaded earlier as a bare image (same image bytes): format becomes zip, nothing else changes, nobody is notified.",
		}),
		warnings: z.array(z.string()),
	})
	.openapi("UploadResult");

export const FirmwareVersionSchema = z
	.object({
		version: FirmwareVersion,
		format: z.enum(["zip", "bin"]),
		sha256: Sha256,
		size: z.number().int(),
		chip: z.string(),
		project_name: z.string(),
		idf_version: z.string(),
		secure_version: z.number().int(),
		git_commit: z.string().nullable(),
		elf_sha256: Sha256.nullable(),
		uploaded_at: z.string(),
		current: z.boolean(),
	})
	.openapi("FirmwareVersion");

export const FirmwareVersionList = z
	.object({ versions: z.array(FirmwareVersionSchema), count: z.number().int() })
	.openapi("FirmwareVersionList");

export const PipelineFirmwareVersion = z
	.object({ code: ModelCode, firmware_version: FirmwareVersion.nullable() })
	.openapi("PipelineFirmwareVersion");

export const DeviceFirmwareVersion = z
	.object({
		firmware_version: FirmwareVersion.nullable(),
		sha256: Sha256.nullable(),
		size: z.number().int().nullable(),
	})
	.openapi("DeviceFirmwareVersion");

/** `?activate=false` stores the version without making it current: staged for a rollout. */
export const UploadQuery = z.object({
	activate: z
		.enum(["true", "false"])
		.optional()
		.openapi({
			param: { name: "activate", in: "query" },
			description: "false: store the version without making it current (stage it for a rollout)",
		}),
});

/** Request bodies that are bytes, not JSON: described for the document, never parsed by zod. */
export const firmwareUploadBody = {
	required: true,
	description:
		"A ZIP bundle (`<code>.bin`, `<code>.elf`, `<code>.map`, `sdkconfig`, `version.json`) or a bare ESP app image. Recognised by its first bytes; Content-Type is ignored.",
	content: {
		"application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
		"application/zip": { schema: z.string().openapi({ format: "binary" }) },
	},
};

const binary = z.string().openapi({ format: "binary" });

export const imageResponses = {
	200: {
		description: "The app image (HEAD: headers only)",
		content: { "application/octet-stream": { schema: binary } },
	},
	206: {
		description: "One byte range of the app image",
		content: { "application/octet-stream": { schema: binary } },
	},
	304: { description: "If-None-Match matched the image's SHA-256" },
};
