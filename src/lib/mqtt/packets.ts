/**
 * MQTT 3.1.1 packets the notifier needs (OASIS mqtt-v3.1.1 §2–§3): CONNECT, PUBLISH, DISCONNECT
 * out; CONNACK and PUBACK in. Pure byte work, no I/O.
 */

export const PacketType = {
	CONNECT: 1,
	CONNACK: 2,
	PUBLISH: 3,
	PUBACK: 4,
	SUBSCRIBE: 8,
	SUBACK: 9,
	DISCONNECT: 14,
} as const;

/** The largest remaining length four varint bytes can carry (§2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

const utf8 = new TextEncoder();

export function encodeRemainingLength(length: number): Uint8Array {
	if (!Number.isInteger(length) || length < 0 || length > MAX_REMAINING_LENGTH) {
		throw new RangeError(`MQTT remaining length out of range: ${length}`);
	}
	const out: number[] = [];
	let rest = length;
	do {
		let byte = rest % 128;
		rest = Math.floor(rest / 128);
		if (rest > 0) byte |= 0x80;
		out.push(byte);
	} while (rest > 0);
	return Uint8Array.from(out);
}

/** A length-prefixed UTF-8 string (§1.5.3). */
export function encodeString(value: string): Uint8Array {
	const bytes = utf8.encode(value);
	if (bytes.length > 0xffff) throw new RangeError("MQTT string longer than 65535 bytes");
	const out = new Uint8Array(2 + bytes.length);
	out[0] = bytes.length >> 8;
	out[1] = bytes.length & 0xff;
	out.set(bytes, 2);
	return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

/** Fixed header + the given parts, as one buffer. */
export function packet(firstByte: number, parts: Uint8Array[]): Uint8Array {
	const bodyLength = parts.reduce((n, p) => n + p.length, 0);
	return concatBytes([Uint8Array.of(firstByte), encodeRemainingLength(bodyLength), ...parts]);
}

const u16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);

export interface ConnectFields {
	clientId: string;
	keepAliveSeconds: number;
	username?: string;
	password?: string;
}

/** CONNECT with a clean session, protocol level 4 (§3.1). */
export function encodeConnect(fields: ConnectFields): Uint8Array {
	if (fields.password !== undefined && fields.username === undefined) {
		throw new RangeError("MQTT 3.1.1 sends a password only together with a username");
	}
	let flags = 0x02;
	const payload = [encodeString(fields.clientId)];
	if (fields.username !== undefined) {
		flags |= 0x80;
		payload.push(encodeString(fields.username));
	}
	if (fields.password !== undefined) {
		flags |= 0x40;
		payload.push(encodeString(fields.password));
	}
	const keepAlive = Math.min(Math.max(Math.trunc(fields.keepAliveSeconds), 0), 0xffff);
	const header = [encodeString("MQTT"), Uint8Array.of(4, flags), u16(keepAlive)];
	return packet(PacketType.CONNECT << 4, [...header, ...payload]);
}

export interface PublishFields {
	topic: string;
	payload: Uint8Array;
	qos: 0 | 1;
	retain: boolean;
	/** Required for QoS 1: 1–65535. */
	packetId?: number;
}

/** PUBLISH (§3.3). Topic names carry no wildcards and are never empty (§4.7.3). */
export function encodePublish(fields: PublishFields): Uint8Array {
	if (fields.topic === "" || /[#+]/.test(fields.topic) || fields.topic.includes("\0")) {
		throw new RangeError(`Not a valid MQTT topic name: ${JSON.stringify(fields.topic)}`);
	}
	const parts = [encodeString(fields.topic)];
	if (fields.qos === 1) {
		const id = fields.packetId ?? 0;
		if (!Number.isInteger(id) || id < 1 || id > 0xffff) {
			throw new RangeError(`MQTT packet id out of range: ${id}`);
		}
		parts.push(u16(id));
	}
	parts.push(fields.payload);
	const firstByte = (PacketType.PUBLISH << 4) | (fields.qos << 1) | (fields.retain ? 1 : 0);
	return packet(firstByte, parts);
}

export function encodeDisconnect(): Uint8Array {
	return Uint8Array.of(PacketType.DISCONNECT << 4, 0);
}

/** One whole packet read off the wire: type, the flag nibble and the bytes after the header. */
export interface Frame {
	type: number;
	flags: number;
	body: Uint8Array;
}

/**
 * Reads one packet at `offset`. Returns null while the bytes are incomplete, the frame and the
 * offset after it otherwise; throws on a remaining length longer than four bytes.
 */
export function decodeFrame(bytes: Uint8Array, offset = 0): { frame: Frame; next: number } | null {
	let length = 0;
	let multiplier = 1;
	for (let i = 1; i <= 4; i++) {
		const byte = bytes[offset + i];
		if (byte === undefined) return null;
		length += (byte & 0x7f) * multiplier;
		if ((byte & 0x80) === 0) {
			const start = offset + 1 + i;
			if (bytes.length < start + length) return null;
			const first = bytes[offset] ?? 0;
			const frame = {
				type: first >> 4,
				flags: first & 0x0f,
				body: bytes.subarray(start, start + length),
			};
			return { frame, next: start + length };
		}
		multiplier *= 128;
	}
	throw new RangeError("Malformed MQTT remaining length");
}

/** CONNACK return codes of §3.2.2.3, as sentences for an operator. */
const CONNACK_REASONS: Record<number, string> = {
	1: "the broker does not accept MQTT 3.1.1 (unacceptable protocol version)",
	2: "the broker rejected the client identifier",
	3: "the MQTT service is unavailable",
	4: "bad user name or password",
	5: "not authorized",
};

export interface Connack {
	sessionPresent: boolean;
	returnCode: number;
	/** "accepted", or why the broker refused the connection. */
	reason: string;
}

export function decodeConnack(body: Uint8Array): Connack {
	if (body.length !== 2) throw new RangeError("Malformed MQTT CONNACK");
	const returnCode = body[1] ?? 0;
	const reason =
		returnCode === 0
			? "accepted"
			: (CONNACK_REASONS[returnCode] ?? `refused with code ${returnCode}`);
	return { sessionPresent: ((body[0] ?? 0) & 1) === 1, returnCode, reason };
}

/** The packet id a PUBACK acknowledges. */
export function decodePuback(body: Uint8Array): number {
	if (body.length !== 2) throw new RangeError("Malformed MQTT PUBACK");
	return ((body[0] ?? 0) << 8) | (body[1] ?? 0);
}
