import { vi } from "vitest";

/**
 * Captures what the Worker writes to the console, silently: every level, each call as one line
 * of text. Restored by `vi.restoreAllMocks()`.
 *
 *   const logs = captureLogs();
 *   await api("/api/health");
 *   expect(logs.requestLines()).toMatchObject([{ method: "GET", status: 200 }]);
 */
export interface LogLine {
	level: "log" | "info" | "warn" | "error" | "debug";
	text: string;
}

export interface LogCapture {
	/** Every line written so far, at any level, in order. */
	readonly lines: LogLine[];
	/** The text of every line, one per line, for "never contains" assertions. */
	allText(): string;
	/** The console.log lines, each parsed as JSON (a line that is not JSON fails the test). */
	requestLines(): Record<string, unknown>[];
	/** Forgets what was captured so far. */
	clear(): void;
}

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;

function textOf(args: unknown[]): string {
	return args
		.map((arg) => {
			if (typeof arg === "string") return arg;
			if (arg instanceof Error) return `${arg.name}: ${arg.message}\n${arg.stack ?? ""}`;
			try {
				return JSON.stringify(arg) ?? String(arg);
			} catch {
				return String(arg);
			}
		})
		.join(" ");
}

export function captureLogs(): LogCapture {
	const lines: LogLine[] = [];
	for (const level of LEVELS) {
		vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
			lines.push({ level, text: textOf(args) });
		});
	}
	return {
		lines,
		allText: () => lines.map((l) => l.text).join("\n"),
		requestLines: () =>
			lines
				.filter((l) => l.level === "log")
				.map((l) => {
					try {
						return JSON.parse(l.text) as Record<string, unknown>;
					} catch {
						throw new Error(`a console.log line is not JSON: ${l.text}`);
					}
				}),
		clear: () => {
			lines.length = 0;
		},
	};
}
