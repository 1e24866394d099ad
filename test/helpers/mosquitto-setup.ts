import type { ProvidedContext } from "vitest";

/*
 * Global setup (runs in Node) for the MQTT tests: a private mosquitto on a free loopback port
 * (anonymous clients allowed, one user in a password file so a wrong password is refused), plus
 * stand-ins for brokers that misbehave. Every port is handed to the tests with `provide`.
 */

// Node built-ins, typed with just what this file uses: the project's types are the Workers
// runtime's, and it carries no Node type package.
interface NodeSocket {
	on(event: "data", listener: (chunk: Uint8Array) => void): void;
	on(event: "connect" | "error" | "close", listener: () => void): void;
	write(data: Uint8Array | string): void;
	end(data?: string): void;
	pipe<T>(destination: T): T;
	destroy(): void;
}
interface NodeServer {
	listen(port: number, host: string, ready: () => void): void;
	address(): { port: number };
	close(done?: () => void): void;
}
interface ChildProcess {
	exitCode: number | null;
	stderr: { on(event: "data", listener: (chunk: Uint8Array) => void): void };
	once(event: "exit", listener: () => void): void;
	kill(signal?: string): boolean;
}
declare const process: {
	env: Record<string, string | undefined>;
	getBuiltinModule(id: string): never;
};
const node = (id: string) => process.getBuiltinModule(id);
const net: {
	createServer(onConnection: (socket: NodeSocket) => void): NodeServer;
	connect(port: number, host: string): NodeSocket;
} = node("node:net");
const { spawn }: { spawn(cmd: string, args: string[]): ChildProcess } = node("node:child_process");
const fs: {
	existsSync(path: string): boolean;
	mkdtempSync(prefix: string): string;
	writeFileSync(path: string, data: string): void;
	rmSync(path: string, options: { recursive: boolean; force: boolean }): void;
} = node("node:fs");
const { tmpdir, userInfo }: { tmpdir(): string; userInfo(): { username: string } } =
	node("node:os");
const crypto: {
	randomBytes(n: number): { toString(encoding: string): string };
	createHash(alg: string): {
		update(data: unknown): { update(data: unknown): { digest(enc: string): string } };
	};
} = node("node:crypto");

const HOST = "127.0.0.1";
const BINARIES = [
	process.env.MOSQUITTO_BIN,
	"/usr/sbin/mosquitto",
	"/usr/local/sbin/mosquitto",
	"/opt/homebrew/sbin/mosquitto",
	...(process.env.PATH ?? "").split(":").map((dir) => `${dir}/mosquitto`),
];

/** Listens on a free loopback port; every accepted socket is kept so teardown can end it. */
async function listen(onConnection: (socket: NodeSocket) => void = () => {}) {
	const sockets = new Set<NodeSocket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on("error", () => {});
		socket.on("close", () => sockets.delete(socket));
		onConnection(socket);
	});
	await new Promise<void>((ready) => server.listen(0, HOST, ready));
	const stop = () => {
		for (const s of sockets) s.destroy();
		return new Promise<void>((done) => server.close(() => done()));
	};
	return { port: server.address().port, stop, open: () => sockets.size };
}

function acceptsConnections(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const probe = net.connect(port, HOST);
		probe.on("connect", () => {
			probe.destroy();
			resolve(true);
		});
		probe.on("error", () => resolve(false));
	});
}

/** mosquitto's `$6$` password file line: SHA-512 over password then salt, both base64. */
function passwordLine(user: string, password: string): string {
	const salt = crypto.randomBytes(12);
	const hash = crypto.createHash("sha512").update(password).update(salt).digest("base64");
	return `${user}:$6$${salt.toString("base64")}$${hash}\n`;
}

/** The part of vitest's TestProject a global setup uses. */
interface SetupProject {
	provide<K extends keyof ProvidedContext & string>(key: K, value: ProvidedContext[K]): void;
}

export default async function setup(project: SetupProject) {
	const binary = BINARIES.find((p) => p !== undefined && fs.existsSync(p));
	if (!binary) {
		throw new Error(
			"The MQTT tests need the mosquitto broker: install it with `apt-get install mosquitto` " +
				"(or set MOSQUITTO_BIN to its path).",
		);
	}
	const dir = fs.mkdtempSync(`${tmpdir()}/ota-edge-mosquitto-`);
	const username = "notifier";
	const password = crypto.randomBytes(9).toString("hex");
	fs.writeFileSync(`${dir}/passwords`, passwordLine(username, password));
	const free = await listen();
	await free.stop();
	const port = free.port;
	// `user` names the current user so that a broker started as root keeps reading `dir`.
	const config = [
		`user ${userInfo().username}`,
		`listener ${port} ${HOST}`,
		"allow_anonymous true",
		`password_file ${dir}/passwords`,
		"persistence false",
		"max_queued_messages 0",
		"log_dest stderr",
		"log_type error",
	];
	fs.writeFileSync(`${dir}/mosquitto.conf`, `${config.join("\n")}\n`);
	const broker = spawn(binary, ["-c", `${dir}/mosquitto.conf`]);
	let brokerLog = "";
	broker.stderr.on("data", (chunk) => {
		brokerLog += new TextDecoder().decode(chunk);
	});
	for (let i = 0; !(await acceptsConnections(port)); i++) {
		if (broker.exitCode !== null || i > 100) {
			broker.kill();
			throw new Error(`mosquitto did not start on port ${port}:\n${brokerLog}`);
		}
		await new Promise((r) => setTimeout(r, 50));
	}

	// A port nothing listens on, a peer that never answers, one that goes quiet after CONNACK.
	const closed = await listen();
	await closed.stop();
	// It reads (and drops) what it gets, so it notices when the client closes.
	const silent = await listen((socket) => socket.on("data", () => {}));
	const mute = await listen((socket) => {
		let answered = false;
		socket.on("data", () => {
			if (!answered) socket.write(Uint8Array.of(0x20, 2, 0, 0));
			answered = true;
		});
	});
	// A pass-through to mosquitto that counts connections.
	let proxied = 0;
	const proxy = await listen((socket) => {
		proxied++;
		const upstream = net.connect(port, HOST);
		upstream.on("error", () => socket.destroy());
		upstream.on("close", () => socket.destroy());
		socket.on("close", () => upstream.destroy());
		socket.pipe(upstream);
		upstream.pipe(socket);
	});
	// Tells what the stand-ins saw, as one JSON line.
	const stats = await listen((socket) => {
		socket.end(
			`${JSON.stringify({ proxied, silentOpen: silent.open(), muteOpen: mute.open() })}\n`,
		);
	});

	project.provide("mqttPort", port);
	project.provide("mqttUsername", username);
	project.provide("mqttPassword", password);
	project.provide("mqttClosedPort", closed.port);
	project.provide("mqttSilentPort", silent.port);
	project.provide("mqttMutePort", mute.port);
	project.provide("mqttProxyPort", proxy.port);
	project.provide("mqttStatsPort", stats.port);

	return async () => {
		await Promise.all([silent.stop(), mute.stop(), proxy.stop(), stats.stop()]);
		const exited = new Promise<void>((done) => broker.once("exit", done));
		if (broker.exitCode === null && broker.kill("SIGTERM")) await exited;
		fs.rmSync(dir, { recursive: true, force: true });
	};
}
