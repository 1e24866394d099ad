import { z } from "@hono/zod-openapi";
import { ANALYSIS_ERROR_CODES } from "../error-codes";

/** The analysis of a core dump (SPEC §10), as `GET /api/devices/{key}/coredumps/{id}` returns it. */

const Address = z.string().openapi({ example: "0x4008110d" });

export const AnalysisStatus = z
	.enum(["pending", "decoded", "unsymbolized", "failed"])
	.openapi({ description: "`unsymbolized`: decoded, but no ELF matched yet" });

type AnalysisCode = keyof typeof ANALYSIS_ERROR_CODES;
export const AnalysisErrorCode = z
	.enum(Object.keys(ANALYSIS_ERROR_CODES) as [AnalysisCode, ...AnalysisCode[]])
	.openapi({ description: "Why an analysis `failed`; see the README's analysis error table." });

export const CrashedTask = z
	.object({ tcb: Address, name: z.string().openapi({ example: "main" }) })
	.openapi("CrashedTask");

export const CrashException = z
	.union([
		z.object({
			arch: z.literal("xtensa"),
			cause: z.number().int(),
			name: z.string().openapi({ example: "StoreProhibited" }),
			address: Address,
			epc: z.array(Address),
		}),
		z.object({
			arch: z.literal("riscv"),
			cause: z.number().int(),
			name: z.string().openapi({ example: "Store access fault" }),
			address: Address,
		}),
	])
	.openapi("CrashException");

export const Frame = z
	.object({
		pc: Address,
		function: z.string().nullable(),
		offset: z.number().int().nullable(),
		file: z.string().nullable(),
		line: z.number().int().nullable(),
		kind: z.enum(["app", "rom", "scanned"]),
	})
	.openapi("Frame");

export const TaskAnalysis = z
	.object({
		tcb: Address,
		name: z.string(),
		priority: z.number().int().nullable(),
		stack: z
			.object({ start: Address, end: Address, used: z.number().int(), free: z.number().int() })
			.nullable(),
		pc: Address.nullable(),
		backtrace: z.array(Frame),
	})
	.openapi("TaskAnalysis");

export const CoredumpAnalysisSchema = z
	.object({
		status: AnalysisStatus,
		error_code: AnalysisErrorCode.nullable(),
		format: z.enum(["elf", "binary"]).nullable(),
		dump_version: z.string().nullable().openapi({ example: "1.2" }),
		checksum: z.enum(["crc32", "sha256"]).nullable(),
		chip: z.string().nullable(),
		chip_rev: z.number().int().nullable(),
		elf_sha256_prefix: z.string().nullable(),
		firmware_version: z.string().nullable(),
		matched_by: z.enum(["elf_sha256", "firmware_version"]).nullable(),
		crashed_task: CrashedTask.nullable(),
		in_isr: z.boolean().nullable(),
		panic_reason: z.string().nullable(),
		exception: CrashException.nullable(),
		registers: z.record(z.string(), z.string()).nullable(),
		backtrace: z.array(Frame),
		tasks: z.array(TaskAnalysis),
		signature: z.string().nullable(),
		decoded_at: z.string().nullable(),
	})
	.openapi("CoredumpAnalysis");

export const AnalysisRequested = z
	.object({
		id: z.string(),
		status: z.literal("queued"),
		requested_at: z.string().openapi({ example: "2026-10-01T12:03:04.123Z" }),
	})
	.openapi("AnalysisRequested");
