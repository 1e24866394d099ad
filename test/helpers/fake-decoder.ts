/**
 * A crash decoder for pipeline tests, so the queue, storage and grouping can be tested with
 * analyses made by hand. Its "dumps" are JSON describing a crash and its "ELFs" are JSON mapping
 * PCs to function names; it drives the ElfResolver and Symbolizer exactly as a real decoder does.
 *
 *   const elf = fakeElf({ 0x42000010: "fail_once", 0x42000100: "app_main" });
 *   const dump = fakeDump({ kind: "abort", pcs: [0x42000010, 0x42000100], elf: await elfPrefix(elf) });
 */
import { type CoredumpAnalysis, type Frame, noCrash } from "../../src/lib/coredump/analysis";
import type { Symbolizer } from "../../src/lib/coredump/symbolizer";
import type { ByteSource } from "../../src/lib/zip/byte-source";
import type { CrashDecoder, CrashSignature } from "../../src/services/crash-decoder";

export interface FakeCrash {
	kind: string;
	pcs: number[];
	/** The ELF SHA-256 prefix the dump names (null: a binary-format dump). */
	elf?: string | null;
	chip?: string;
	task?: string;
	/** Extra tasks, to make a large analysis. */
	tasks?: number;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

export function fakeDump(crash: FakeCrash): Uint8Array {
	return encode({ fake_dump: crash });
}

export function fakeElf(functions: Record<number, string>, salt = ""): Uint8Array {
	return encode({ fake_elf: functions, salt });
}

export async function elfPrefix(elf: Uint8Array, length = 9): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", elf));
	return Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
		.join("")
		.slice(0, length);
}

const hex = (n: number) => `0x${n.toString(16)}`;

async function readAll(source: ByteSource): Promise<Uint8Array> {
	return source.read(0, source.size);
}

export interface FakeDecoderLog {
	analyses: number;
	indexBuilds: number;
	indexOpens: number;
}

/** The fake decoder; `log` counts what it was asked to do. */
export function fakeDecoder(
	options: { failWith?: Error } = {},
): CrashDecoder & { log: FakeDecoderLog } {
	const log: FakeDecoderLog = { analyses: 0, indexBuilds: 0, indexOpens: 0 };
	return {
		log,
		async analyze(bytes, deviceVersion, resolveElf, now) {
			log.analyses++;
			if (options.failWith) throw options.failWith;
			let crash: FakeCrash;
			try {
				crash = (JSON.parse(new TextDecoder().decode(bytes)) as { fake_dump: FakeCrash }).fake_dump;
				if (!crash || !Array.isArray(crash.pcs)) throw new Error("not a fake dump");
			} catch {
				return failed(deviceVersion, now);
			}
			const match = await resolveElf({
				elfSha256Prefix: crash.elf ?? null,
				firmwareVersion: deviceVersion,
				chip: crash.chip ?? null,
			});
			const frames: Frame[] = [];
			for (const pc of crash.pcs) {
				const fn = match ? await match.symbolizer.functionAt(pc) : null;
				frames.push({
					pc: hex(pc),
					function: fn?.name ?? null,
					offset: fn ? pc - fn.address : null,
					file: null,
					line: null,
					kind: "app",
				});
			}
			const task = { tcb: "0x3ffafba0", name: crash.task ?? "main" };
			const extra = Array.from({ length: crash.tasks ?? 0 }, (_, i) => ({
				tcb: hex(0x3ff00000 + i * 0x100),
				name: `worker_${i}_${"x".repeat(200)}`,
				priority: 5,
				stack: { start: "0x3ffb0000", end: "0x3ffb1000", used: 368, free: 3724 },
				pc: hex(crash.pcs[0] ?? 0),
				backtrace: frames,
			}));
			return {
				status: match ? "decoded" : "unsymbolized",
				error_code: null,
				format: crash.elf ? "elf" : "binary",
				dump_version: crash.elf ? "1.2" : "0.2",
				checksum: "crc32",
				chip: crash.chip ?? "esp32c3",
				chip_rev: 3,
				elf_sha256_prefix: crash.elf ?? null,
				firmware_version: match ? match.firmwareVersion : deviceVersion,
				matched_by: match ? match.matchedBy : null,
				crashed_task: task,
				in_isr: false,
				panic_reason:
					crash.kind === "abort" ? "abort() was called at PC 0x42000010 on core 0" : null,
				exception:
					crash.kind === "abort"
						? null
						: { arch: "riscv", cause: 7, name: crash.kind, address: "0x0" },
				registers: { pc: hex(crash.pcs[0] ?? 0) },
				backtrace: frames,
				tasks: [
					{ ...task, priority: 1, stack: null, pc: hex(crash.pcs[0] ?? 0), backtrace: frames },
					...extra,
				],
				signature: null,
				decoded_at: now.toISOString(),
			} satisfies CoredumpAnalysis;
		},
		signature(analysis): CrashSignature | null {
			if (analysis.status !== "decoded" && analysis.status !== "unsymbolized") return null;
			const kind = analysis.exception?.name ?? "abort";
			const frames = analysis.backtrace.slice(0, 3).map((f) => f.function ?? f.pc);
			let h = 2166136261;
			for (const c of `${kind}|${frames.join("|")}`)
				h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
			return {
				signature: h.toString(16).padStart(8, "0"),
				title: `${kind}() in ${frames.join(" ← ")}`,
				kind,
				frames,
			};
		},
		report(analysis, meta) {
			const lines = [
				`Core dump ${meta.filename} of ${meta.device_key}`,
				`status: ${analysis.status}`,
			];
			for (const f of analysis.backtrace) lines.push(`${f.pc} ${f.function ?? "??"}`);
			return `${lines.join("\n")}\n`;
		},
		async buildIndex(elf) {
			log.indexBuilds++;
			const bytes = await readAll(elf);
			const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { fake_elf?: unknown };
			if (!parsed.fake_elf) throw new Error("not a fake ELF");
			return bytes;
		},
		async openIndex(index) {
			log.indexOpens++;
			const { fake_elf } = JSON.parse(new TextDecoder().decode(await readAll(index))) as {
				fake_elf: Record<string, string>;
			};
			const symbolizer: Symbolizer = {
				async functionAt(address) {
					for (const [at, name] of Object.entries(fake_elf)) {
						const start = Number(at);
						if (address >= start && address < start + 0x100) return { name, address: start };
					}
					return null;
				},
				lineAt: async () => null,
				isCode: async () => true,
				followsCall: async () => true,
				unwindAt: async () => null,
			};
			return symbolizer;
		},
	};
}

function failed(version: string, now: Date): CoredumpAnalysis {
	return {
		status: "failed",
		error_code: "DUMP_FORMAT_UNKNOWN",
		format: null,
		dump_version: null,
		checksum: null,
		chip: null,
		chip_rev: null,
		elf_sha256_prefix: null,
		firmware_version: version,
		...noCrash(),
		decoded_at: now.toISOString(),
	};
}
