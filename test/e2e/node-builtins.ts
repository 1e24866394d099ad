/*
 * The Node built-ins the end-to-end tests use, typed with just what they use: the project's
 * types are the Workers runtime's, and it carries no Node type package.
 */

export interface ChildProcess {
	pid?: number;
	exitCode: number | null;
	signalCode: string | null;
	stdout: Readable | null;
	stderr: Readable | null;
	stdin: { end(data?: string | Uint8Array): void } | null;
	once(
		event: "exit" | "close",
		listener: (code: number | null, signal: string | null) => void,
	): void;
	once(event: "error", listener: (err: Error) => void): void;
	unref(): void;
}
interface Readable {
	on(event: "data", listener: (chunk: Uint8Array) => void): void;
}
export interface SpawnOptions {
	cwd?: string;
	env?: Record<string, string | undefined>;
	detached?: boolean;
	stdio?: ("pipe" | "ignore" | "inherit")[];
}
export interface HttpRequest {
	method?: string;
	url?: string;
	headers: Record<string, string | string[] | undefined>;
	on(event: "data", listener: (chunk: Uint8Array) => void): void;
	on(event: "end", listener: () => void): void;
}
export interface HttpResponse {
	writeHead(status: number, headers?: Record<string, string>): void;
	end(body?: string): void;
}
export interface Server {
	listen(port: number, host: string, ready: () => void): void;
	address(): { port: number };
	close(done?: () => void): void;
	closeAllConnections?(): void;
}

declare const process: {
	env: Record<string, string | undefined>;
	execPath: string;
	cwd(): string;
	kill(pid: number, signal?: string): boolean;
	getBuiltinModule(id: string): never;
};
const builtin = (id: string) => process.getBuiltinModule(id);

export const nodeProcess = process;

export const childProcess: {
	spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
	execFileSync(
		command: string,
		args: string[],
		options?: { cwd?: string; env?: Record<string, string | undefined>; encoding?: "utf8" },
	): string;
} = builtin("node:child_process");

export const fs: {
	existsSync(path: string): boolean;
	mkdtempSync(prefix: string): string;
	mkdirSync(path: string, options?: { recursive: boolean }): void;
	writeFileSync(path: string, data: string | Uint8Array, options?: { mode?: number }): void;
	readFileSync(path: string): Uint8Array;
	readdirSync(path: string): string[];
	symlinkSync(target: string, path: string): void;
	rmSync(path: string, options: { recursive: boolean; force: boolean }): void;
} = builtin("node:fs");

export const os: { tmpdir(): string } = builtin("node:os");

export const net: { createServer(): Server } = builtin("node:net");

export const http: {
	createServer(handler: (req: HttpRequest, res: HttpResponse) => void): Server;
} = builtin("node:http");
