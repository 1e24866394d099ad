import type { CoredumpAnalysis, Frame } from "./analysis";
import { sha256Hex } from "./sha256";

/** A crash group's key (SPEC §11) and how the console shows it. */
export interface CrashSignature {
	/** 16 hex chars; `pc:` + 16 hex chars for a provisional, address-based one. */
	signature: string;
	title: string;
	/** `abort`, `assert`, or the exception's name (e.g. `LoadProhibited`). */
	kind: string;
	/** The function names hashed (the PCs for a provisional signature). */
	frames: string[];
}

/** Frames of the panic machinery itself: never what a crash is about. */
const MACHINERY = new Set([
	"panic_abort",
	"esp_system_abort",
	"abort",
	"__assert_func",
	"esp_panic_handler",
	"xt_unhandled_exception",
]);

const NAMED_FRAMES = 3;
const PROVISIONAL_FRAMES = 8;

/**
 * The rule: kind is `assert` when the crashed task's backtrace passes through `__assert_func`,
 * `abort` when it passes through `abort`, else the exception's name; then the names of the
 * first three frames in app code that are not panic machinery (`panic_abort`,
 * `esp_system_abort`, `abort`, `__assert_func`, `esp_panic_handler`, `xt_unhandled_exception`,
 * `panic_*`) nor ROM. The signature is the first 16 hex chars of SHA-256 over kind and names,
 * so neither addresses nor the dump's format change it: the same bug in another build, or in
 * an ELF- and a binary-format dump, groups together.
 *
 * Without names (no ELF matched yet, or no frame in named app code) the signature is
 * provisional and says so with a `pc:` prefix: SHA-256 over the build (ELF SHA prefix, else
 * firmware version), the kind (from the panic reason when it names abort or assert) and the
 * PCs of up to eight non-ROM frames. It groups repeats of one crash in one build; once the
 * ELF arrives the dump is analysed again and gets its named signature.
 */
export function crashSignature(analysis: CoredumpAnalysis): CrashSignature | null {
	if (analysis.status !== "decoded" && analysis.status !== "unsymbolized") return null;
	const frames = analysis.backtrace;
	const names = frames
		.filter((f) => f.kind !== "rom" && f.function !== null && !isMachinery(f.function))
		.map((f) => f.function as string)
		.slice(0, NAMED_FRAMES);
	if (analysis.status === "decoded" && names.length > 0) {
		const kind = namedKind(frames, analysis);
		return {
			signature: sha256Hex(["crash", kind, ...names].join("\n")).slice(0, 16),
			title: title(kind, names),
			kind,
			frames: names,
		};
	}
	const kind = provisionalKind(analysis);
	const pcs = frames
		.filter((f) => f.kind !== "rom")
		.map((f) => f.pc)
		.slice(0, PROVISIONAL_FRAMES);
	const build = analysis.elf_sha256_prefix ?? analysis.firmware_version ?? "";
	return {
		signature: `pc:${sha256Hex(["crash-pc", build, kind, ...pcs].join("\n")).slice(0, 16)}`,
		title: `${kindText(kind)} at ${abortCaller(analysis) ?? pcs[0] ?? "an unknown address"} (unsymbolized)`,
		kind,
		frames: pcs,
	};
}

function isMachinery(name: string): boolean {
	return MACHINERY.has(name) || name.startsWith("panic_");
}

function namedKind(frames: readonly Frame[], analysis: CoredumpAnalysis): string {
	if (frames.some((f) => f.function === "__assert_func")) return "assert";
	if (frames.some((f) => f.function === "abort")) return "abort";
	return analysis.exception?.name ?? "crash";
}

function provisionalKind(analysis: CoredumpAnalysis): string {
	const reason = analysis.panic_reason ?? "";
	if (/^assert failed/i.test(reason)) return "assert";
	if (/^abort\(\) was called/.test(reason)) return "abort";
	return analysis.exception?.name ?? "crash";
}

/** The PC `abort() was called at PC 0x… on core N` names: the caller of abort. */
function abortCaller(analysis: CoredumpAnalysis): string | null {
	return /^abort\(\) was called at PC (0x[0-9a-f]+)/.exec(analysis.panic_reason ?? "")?.[1] ?? null;
}

function kindText(kind: string): string {
	return kind === "abort" ? "abort()" : kind === "assert" ? "assert failed" : kind;
}

function title(kind: string, names: readonly string[]): string {
	return `${kindText(kind)} in ${names.slice(0, 2).join(" ← ")}`;
}
