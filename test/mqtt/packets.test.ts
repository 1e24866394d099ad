import { describe, expect, it } from "vitest";
import {
	decodeConnack,
	decodeFrame,
	decodePuback,
	encodeConnect,
	encodeDisconnect,
	encodePublish,
	encodeRemainingLength,
	MAX_REMAINING_LENGTH,
} from "../../src/lib/mqtt/packets";

const hex = (bytes: Uint8Array): string =>
	Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
const ascii = (s: string): string => hex(new TextEncoder().encode(s));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("remaining length", () => {
	it.each([
		[0, "00"],
		[127, "7f"],
		[128, "80 01"],
		[16_383, "ff 7f"],
		[16_384, "80 80 01"],
		[2_097_151, "ff ff 7f"],
		[2_097_152, "80 80 80 01"],
		[MAX_REMAINING_LENGTH, "ff ff ff 7f"],
	])("encodes %i as %s and reads it back", (length, expected) => {
		const encoded = encodeRemainingLength(length);
		expect(hex(encoded)).toBe(expected);
		const frame = new Uint8Array(1 + encoded.length + (length <= 16_384 ? length : 0));
		frame[0] = 0x30;
		frame.set(encoded, 1);
		if (length <= 16_384) expect(decodeFrame(frame)?.frame.body.length).toBe(length);
		else expect(decodeFrame(frame)).toBeNull();
	});

	it.each([-1, 1.5, MAX_REMAINING_LENGTH + 1])("refuses %d", (length) => {
		expect(() => encodeRemainingLength(length)).toThrow(RangeError);
	});
});

describe("CONNECT", () => {
	it("asks for a clean session with the client id and keepalive", () => {
		const bytes = encodeConnect({ clientId: "ab", keepAliveSeconds: 60 });
		expect(hex(bytes)).toBe(`10 0e 00 04 ${ascii("MQTT")} 04 02 00 3c 00 02 ${ascii("ab")}`);
	});

	it("carries user name and password after the client id", () => {
		const bytes = encodeConnect({
			clientId: "c",
			keepAliveSeconds: 300,
			username: "u",
			password: "pw",
		});
		expect(hex(bytes)).toBe(
			`10 14 00 04 ${ascii("MQTT")} 04 c2 01 2c 00 01 63 00 01 75 00 02 ${ascii("pw")}`,
		);
	});

	it("sends a user name alone without the password flag", () => {
		const bytes = encodeConnect({ clientId: "c", keepAliveSeconds: 0, username: "u" });
		expect(hex(bytes)).toBe(`10 10 00 04 ${ascii("MQTT")} 04 82 00 00 00 01 63 00 01 75`);
	});

	it("refuses a password without a user name (3.1.1 §3.1.2.9)", () => {
		expect(() => encodeConnect({ clientId: "c", keepAliveSeconds: 60, password: "p" })).toThrow(
			RangeError,
		);
	});
});

describe("PUBLISH", () => {
	it("encodes QoS 0 without a packet id", () => {
		const bytes = encodePublish({ topic: "a/b", payload: utf8("hi"), qos: 0, retain: false });
		expect(hex(bytes)).toBe(`30 07 00 03 ${ascii("a/b")} ${ascii("hi")}`);
	});

	it("encodes QoS 1, retained, with its packet id", () => {
		const bytes = encodePublish({
			topic: "a/b",
			payload: utf8("hi"),
			qos: 1,
			retain: true,
			packetId: 0x010a,
		});
		expect(hex(bytes)).toBe(`33 09 00 03 ${ascii("a/b")} 01 0a ${ascii("hi")}`);
	});

	it("uses a two-byte remaining length past 127 bytes and counts UTF-8 bytes", () => {
		const payload = utf8("é".repeat(100));
		const bytes = encodePublish({ topic: "t", payload, qos: 0, retain: false });
		expect(hex(bytes.subarray(0, 6))).toBe("30 cb 01 00 01 74");
		expect(bytes.length).toBe(3 + 3 + 200);
	});

	it.each(["", "a/#", "a/+/b", "a\0b"])("refuses the topic name %j", (topic) => {
		expect(() => encodePublish({ topic, payload: utf8("x"), qos: 0, retain: false })).toThrow(
			RangeError,
		);
	});

	it.each([undefined, 0, 65_536])("refuses QoS 1 with packet id %s", (packetId) => {
		expect(() =>
			encodePublish({ topic: "t", payload: utf8("x"), qos: 1, retain: false, packetId }),
		).toThrow(RangeError);
	});
});

it("encodes DISCONNECT", () => {
	expect(hex(encodeDisconnect())).toBe("e0 00");
});

describe("CONNACK", () => {
	it.each([
		[0, "accepted"],
		[1, "the broker does not accept MQTT 3.1.1 (unacceptable protocol version)"],
		[2, "the broker rejected the client identifier"],
		[3, "the MQTT service is unavailable"],
		[4, "bad user name or password"],
		[5, "not authorized"],
		[9, "refused with code 9"],
	])("reads return code %i as %j", (code, reason) => {
		expect(decodeConnack(Uint8Array.of(0, code))).toEqual({
			sessionPresent: false,
			returnCode: code,
			reason,
		});
	});

	it("reads the session-present flag and refuses a wrong length", () => {
		expect(decodeConnack(Uint8Array.of(1, 0)).sessionPresent).toBe(true);
		expect(() => decodeConnack(Uint8Array.of(0))).toThrow(RangeError);
	});
});

it("reads the packet id of a PUBACK", () => {
	expect(decodePuback(Uint8Array.of(0x12, 0x34))).toBe(0x1234);
	expect(() => decodePuback(Uint8Array.of(1, 2, 3))).toThrow(RangeError);
});

describe("framing", () => {
	const connack = Uint8Array.of(0x20, 0x02, 0x00, 0x05);
	const puback = Uint8Array.of(0x40, 0x02, 0x00, 0x07);

	it("waits for every byte of a packet", () => {
		for (let n = 0; n < connack.length; n++) expect(decodeFrame(connack.subarray(0, n))).toBeNull();
		const whole = decodeFrame(connack);
		expect(whole?.next).toBe(4);
		expect(whole?.frame.type).toBe(2);
		expect(hex(whole?.frame.body ?? new Uint8Array())).toBe("00 05");
	});

	it("splits packets that arrive together, with their flags", () => {
		const joined = new Uint8Array([...connack, ...puback, 0x33]);
		const first = decodeFrame(joined);
		const second = decodeFrame(joined, first?.next);
		expect(second?.frame).toMatchObject({ type: 4, flags: 0 });
		expect(decodePuback(second?.frame.body ?? new Uint8Array())).toBe(7);
		expect(decodeFrame(joined, second?.next)).toBeNull();
		expect(decodeFrame(Uint8Array.of(0x33, 0x00))?.frame.flags).toBe(3);
	});

	it("refuses a remaining length of five bytes", () => {
		expect(() => decodeFrame(Uint8Array.of(0x30, 0x80, 0x80, 0x80, 0x80, 0x01))).toThrow(
			RangeError,
		);
	});
});
