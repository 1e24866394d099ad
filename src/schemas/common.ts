import { z } from "@hono/zod-openapi";
import { ERROR_CODES, type ErrorCode } from "../error-codes";
import { DEVICE_KEY, FIRMWARE_VERSION, MODEL_CODE, SHA256_HEX } from "../lib/identifiers";

export const ErrorSchema = z
	.object({
		error: z.string().openapi({ example: "No device model has the code 'thermo'." }),
		code: z
			.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]])
			.openapi({ example: "MODEL_NOT_FOUND", description: "Stable; see the README for each." }),
		details: z.record(z.string(), z.unknown()).optional(),
	})
	.openapi("Error");

export const ModelCode = z
	.string()
	.regex(MODEL_CODE, "must be 1-50 characters of a-z, 0-9 and _")
	.openapi({ example: "thermo_v2" });
export const DeviceKey = z
	.string()
	.regex(DEVICE_KEY, "must be 8 characters of a-z and 0-9")
	.openapi({ example: "k7dq2mxa" });
export const FirmwareVersion = z
	.string()
	.regex(
		FIRMWARE_VERSION,
		"must be 1-31 characters of 0-9 A-Z a-z . _ + -, not starting with . or -",
	)
	.openapi({ example: "1.4.2" });
export const Sha256 = z
	.string()
	.regex(SHA256_HEX, "must be 64 lower-case hex digits")
	.openapi({ example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" });

export const ModelCodeParam = z.object({
	code: ModelCode.openapi({ param: { name: "code", in: "path" } }),
});

/** The error responses every protected endpoint can give, for the OpenAPI document. */
export function errorResponses(...statuses: number[]) {
	const described: Record<number, string> = {
		400: "Invalid request",
		401: "Missing or invalid bearer token",
		403: "The token's roles or identity do not allow this",
		404: "Not found",
		409: "Conflicts with the stored state",
		413: "Body over the limit",
		416: "Range not satisfiable",
		429: "Too many requests",
		503: "Authentication not configured or a dependency is unavailable",
	};
	return Object.fromEntries(
		statuses.map((status) => [
			status,
			{
				description: described[status] ?? "Error",
				content: { "application/json": { schema: ErrorSchema } },
			},
		]),
	);
}

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
	description,
	content: { "application/json": { schema } },
});
