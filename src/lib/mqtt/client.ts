import { connect } from "cloudflare:sockets";
import {
	concatBytes,
	decodeConnack,
	decodeFrame,
	decodePuback,
	encodeConnect,
	encodeDisconnect,
	encodePublish,
	type Frame,
	PacketType,
} from "./packets";

export interface PublishOptions {
	clientId: string;
	username?: string;
	password?: string;
	/** Bound on the whole exchange: connect, CONNACK, publishes, PUBACKs, DISCONNECT. */
	timeoutMs: number;
}

export interface OutgoingMessage {
	topic: string;
	payload: string;
	retain?: boolean;
	qos?: 0 | 1;
}

export interface BrokerAddress {
	hostname: string;
	port: number;
	secure: boolean;
}

/** Why a notification failed: a metrics status of `mqtt_notify`, never an HTTP answer. */
export type MqttFailure =
	| "MQTT_URL_INVALID"
	| "MQTT_CONFIG_INVALID"
	| "MQTT_UNREACHABLE"
	| "MQTT_TIMEOUT"
	| "MQTT_LOGIN_REFUSED"
	| "MQTT_CONNECT_REFUSED"
	| "MQTT_CONNECTION_LOST"
	| "MQTT_PROTOCOL_ERROR";

export class MqttError extends Error {
	constructor(
		readonly code: MqttFailure,
		message: string,
		readonly details?: Record<string, unknown>,
	) {
		super(message);
		this.name = "MqttError";
	}
}

/** Publishes are written in chunks of about this size: no round trip per QoS-0 message. */
const WRITE_CHUNK_BYTES = 64 * 1024;
const utf8 = new TextEncoder();

/** `mqtt://host[:1883]` or `mqtts://host[:8883]`. Credentials belong in secrets, not the URL. */
export function parseBrokerUrl(url: string): BrokerAddress {
	const invalid = (why: string) =>
		new MqttError("MQTT_URL_INVALID", `MQTT_URL is not usable: ${why}.`);
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw invalid("expected mqtt://host[:port] or mqtts://host[:port]");
	}
	const secure = parsed.protocol === "mqtts:";
	if (!secure && parsed.protocol !== "mqtt:") throw invalid("the scheme must be mqtt or mqtts");
	if (parsed.username || parsed.password) {
		throw invalid("put the user name and password in MQTT_USERNAME and MQTT_PASSWORD");
	}
	const hostname = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
	if (!hostname) throw invalid("the host is missing");
	const port = parsed.port ? Number(parsed.port) : secure ? 8883 : 1883;
	return { hostname, port, secure };
}

/** Reads whole MQTT packets off a byte stream. */
export class FrameReader {
	private buffer: Uint8Array = new Uint8Array(0);
	constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

	/** The next packet; throws when the peer closes the connection first. */
	async next(): Promise<Frame> {
		for (;;) {
			const decoded = decodeFrame(this.buffer);
			if (decoded) {
				this.buffer = this.buffer.subarray(decoded.next);
				return decoded.frame;
			}
			const { value, done } = await this.reader.read();
			if (done) throw new Error("connection closed by the peer");
			this.buffer = concatBytes([this.buffer, value]);
		}
	}
}

/** Encodes every message up front (bad topics fail before connecting), in write-sized chunks. */
function encodeMessages(messages: OutgoingMessage[]): { chunks: Uint8Array[]; ids: number[] } {
	const chunks: Uint8Array[] = [];
	const ids: number[] = [];
	let pending: Uint8Array[] = [];
	let pendingBytes = 0;
	for (const m of messages) {
		const qos = m.qos ?? 0;
		const packetId = qos === 1 ? ids.length + 1 : undefined;
		if (packetId !== undefined) {
			if (packetId > 0xffff) throw new RangeError("More than 65535 QoS-1 messages in one batch");
			ids.push(packetId);
		}
		const bytes = encodePublish({
			topic: m.topic,
			payload: utf8.encode(m.payload),
			qos,
			retain: m.retain ?? false,
			packetId,
		});
		pending.push(bytes);
		pendingBytes += bytes.length;
		if (pendingBytes >= WRITE_CHUNK_BYTES) {
			chunks.push(concatBytes(pending));
			pending = [];
			pendingBytes = 0;
		}
	}
	if (pending.length > 0) chunks.push(concatBytes(pending));
	return { chunks, ids };
}

/**
 * Publishes all messages over one connection, waits for the PUBACK of every QoS-1 message and
 * disconnects. Rejects with an MqttError (code MQTT_*) on any failure or when timeoutMs
 * passes; the socket is closed in every case.
 */
export async function publishAll(
	url: string,
	options: PublishOptions,
	messages: OutgoingMessage[],
): Promise<void> {
	const broker = parseBrokerUrl(url);
	if (options.password !== undefined && options.username === undefined) {
		throw new MqttError("MQTT_CONFIG_INVALID", "An MQTT password needs a user name too.");
	}
	const { chunks, ids } = encodeMessages(messages);
	const where = `${broker.hostname}:${broker.port}`;
	const state = { stage: "connecting" };
	const socket = connect(
		{ hostname: broker.hostname, port: broker.port },
		{ secureTransport: broker.secure ? "on" : "off", allowHalfOpen: false },
	);
	let timer: ReturnType<typeof setTimeout> | null = null;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			const message = `The MQTT broker at ${where} did not finish within ${options.timeoutMs} ms (${state.stage}).`;
			reject(new MqttError("MQTT_TIMEOUT", message));
		}, options.timeoutMs);
	});
	const exchange = converse(socket, where, state, options, chunks, ids);
	exchange.catch(() => {});
	try {
		await Promise.race([exchange, deadline]);
	} finally {
		clearTimeout(timer);
		socket.close().catch(() => {});
	}
}

async function converse(
	socket: Socket,
	where: string,
	state: { stage: string },
	options: PublishOptions,
	chunks: Uint8Array[],
	ids: number[],
): Promise<void> {
	try {
		await socket.opened;
	} catch (err) {
		throw new MqttError(
			"MQTT_UNREACHABLE",
			`Could not connect to the MQTT broker at ${where}: ${errorText(err)}.`,
		);
	}
	const writer = socket.writable.getWriter();
	const frames = new FrameReader(socket.readable.getReader());
	const lost = (err: unknown) =>
		new MqttError(
			"MQTT_CONNECTION_LOST",
			`The MQTT broker at ${where} dropped the connection (${state.stage}): ${errorText(err)}.`,
		);
	try {
		state.stage = "waiting for CONNACK";
		const { clientId, username, password } = options;
		await writer.write(encodeConnect({ clientId, username, password, keepAliveSeconds: 60 }));
		const first = await frames.next();
		if (first.type !== PacketType.CONNACK) throw new RangeError(`packet type ${first.type} first`);
		const connack = decodeConnack(first.body);
		if (connack.returnCode !== 0) {
			const code = connack.returnCode >= 4 ? "MQTT_LOGIN_REFUSED" : "MQTT_CONNECT_REFUSED";
			throw new MqttError(
				code,
				`The MQTT broker at ${where} refused the connection: ${connack.reason}.`,
				{ returnCode: connack.returnCode },
			);
		}
		// PUBACKs are read while publishes are still being written, so neither side stalls.
		const unacked = new Set(ids);
		state.stage = "publishing";
		const acked = (async () => {
			while (unacked.size > 0) {
				const frame = await frames.next();
				if (frame.type === PacketType.PUBACK) unacked.delete(decodePuback(frame.body));
			}
		})();
		acked.catch(() => {});
		for (const chunk of chunks) await writer.write(chunk);
		state.stage = `waiting for ${unacked.size} PUBACK(s)`;
		await acked;
		state.stage = "disconnecting";
		await writer.write(encodeDisconnect());
		await writer.close();
	} catch (err) {
		if (err instanceof MqttError) throw err;
		if (err instanceof RangeError) {
			const text = `The MQTT broker at ${where} sent something unexpected: ${err.message}.`;
			throw new MqttError("MQTT_PROTOCOL_ERROR", text);
		}
		throw lost(err);
	}
}

function errorText(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}
