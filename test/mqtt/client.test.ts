import { afterEach, describe, expect, inject, it } from "vitest";
import { type OutgoingMessage, parseBrokerUrl, publishAll } from "../../src/lib/mqtt/client";
import { MqttSubscriber, readStandInStats } from "../helpers/mqtt-subscriber";

const url = (port: number) => `mqtt://127.0.0.1:${port}`;
const broker = url(inject("mqttPort"));
const unique = () => crypto.randomUUID().slice(0, 8);
const opts = (timeoutMs = 3000) => ({ clientId: `test-pub-${unique()}`, timeoutMs });

const open: MqttSubscriber[] = [];
async function subscribe(...filters: string[]): Promise<MqttSubscriber> {
	const subscriber = await MqttSubscriber.open(inject("mqttPort"), filters);
	open.push(subscriber);
	return subscriber;
}
afterEach(async () => {
	await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Polls the stand-ins until `done` holds; fails the test with the last reading otherwise. */
async function untilStats(done: (s: Awaited<ReturnType<typeof readStandInStats>>) => boolean) {
	let stats = await readStandInStats(inject("mqttStatsPort"));
	for (let i = 0; !done(stats) && i < 60; i++) {
		await new Promise((r) => setTimeout(r, 50));
		stats = await readStandInStats(inject("mqttStatsPort"));
	}
	expect(done(stats), JSON.stringify(stats)).toBe(true);
}

describe("parseBrokerUrl", () => {
	it.each([
		["mqtt://broker.example", { hostname: "broker.example", port: 1883, secure: false }],
		["mqtts://broker.example", { hostname: "broker.example", port: 8883, secure: true }],
		["mqtt://10.0.0.5:11883", { hostname: "10.0.0.5", port: 11883, secure: false }],
		["mqtts://[::1]:8884/", { hostname: "::1", port: 8884, secure: true }],
	])("reads %s", (input, expected) => {
		expect(parseBrokerUrl(input)).toEqual(expected);
	});

	it.each(["http://broker.example", "broker.example:1883", "mqtt://"])("refuses %s", (input) => {
		expect(() => parseBrokerUrl(input)).toThrow(
			expect.objectContaining({ code: "MQTT_URL_INVALID" }),
		);
	});

	it("refuses credentials in the URL without repeating them", () => {
		const error = (() => {
			try {
				parseBrokerUrl("mqtts://ops:hunter2@broker.example");
			} catch (err) {
				return err as Error & { code: string };
			}
		})();
		expect(error?.code).toBe("MQTT_URL_INVALID");
		expect(error?.message).toContain("MQTT_USERNAME");
		expect(error?.message).not.toContain("hunter2");
	});
});

describe("publishAll against mosquitto", () => {
	it("delivers topics, payloads and the retain flag; a later subscriber gets the retained one", async () => {
		const base = `test/${unique()}`;
		const live = await subscribe(`${base}/#`);
		const messages: OutgoingMessage[] = [
			{ topic: `${base}/plain`, payload: '{"n":1}' },
			{ topic: `${base}/unicode`, payload: "größe ✓", qos: 1 },
			{ topic: `${base}/kept`, payload: '{"v":"1.0.0"}', retain: true, qos: 1 },
		];
		await publishAll(broker, opts(), messages);

		const got = await live.waitForCount(3);
		expect(got.map(({ topic, payload }) => ({ topic, payload }))).toEqual(
			messages.map(({ topic, payload }) => ({ topic, payload })),
		);
		// Subscribers that were already listening get live messages with retain = 0 (§3.3.1.3).
		expect(got.map((m) => m.retain)).toEqual([false, false, false]);

		const later = await subscribe(`${base}/#`);
		const kept = await later.waitFor((m) => m.topic === `${base}/kept`);
		expect(kept).toMatchObject({ payload: '{"v":"1.0.0"}', retain: true });
		expect(later.messages.map((m) => m.topic)).toEqual([`${base}/kept`]);
	});

	it("fans out 500 messages over a single connection", async () => {
		const base = `test/${unique()}`;
		const live = await subscribe(`${base}/#`);
		const before = (await readStandInStats(inject("mqttStatsPort"))).proxied;
		const messages: OutgoingMessage[] = Array.from({ length: 500 }, (_, i) => ({
			topic: `${base}/devices`,
			payload: JSON.stringify({ device: i }),
		}));
		messages.push({ topic: `${base}/model`, payload: "last", retain: true, qos: 1 });

		await publishAll(url(inject("mqttProxyPort")), opts(), messages);

		const got = await live.waitForCount(501);
		expect(got.map((m) => m.payload)).toEqual(messages.map((m) => m.payload));
		expect((await readStandInStats(inject("mqttStatsPort"))).proxied - before).toBe(1);
	});

	it("logs in with the broker's user name and password", async () => {
		const topic = `test/${unique()}/login`;
		const live = await subscribe(topic);
		const login = { username: inject("mqttUsername"), password: inject("mqttPassword") };
		await publishAll(broker, { ...opts(), ...login }, [{ topic, payload: "in" }]);
		expect((await live.waitForCount(1))[0]?.payload).toBe("in");
	});
});

describe("publishAll when the broker misbehaves", () => {
	const message = (qos: 0 | 1): OutgoingMessage[] => [{ topic: "test/void", payload: "x", qos }];

	it("rejects a refused login clearly, without the password", async () => {
		const login = { username: inject("mqttUsername"), password: "not-the-password" };
		const error = await publishAll(broker, { ...opts(), ...login }, message(1)).catch((e) => e);
		expect(error).toMatchObject({ code: "MQTT_LOGIN_REFUSED", details: { returnCode: 5 } });
		expect(error.message).toContain("refused the connection: not authorized");
		expect(error.message).not.toContain("not-the-password");
	});

	it("rejects when nothing listens on the port", async () => {
		const error = await publishAll(url(inject("mqttClosedPort")), opts(), message(0)).catch(
			(e) => e,
		);
		expect(error).toMatchObject({ code: "MQTT_UNREACHABLE" });
	});

	it("gives up on a server that never answers, and closes the connection", async () => {
		const error = await publishAll(url(inject("mqttSilentPort")), opts(300), message(0)).catch(
			(e) => e,
		);
		expect(error).toMatchObject({ code: "MQTT_TIMEOUT" });
		expect(error.message).toContain("within 300 ms (waiting for CONNACK)");
		await untilStats((s) => s.silentOpen === 0);
	});

	it("gives up waiting for a PUBACK that never comes, and closes the connection", async () => {
		const error = await publishAll(url(inject("mqttMutePort")), opts(300), message(1)).catch(
			(e) => e,
		);
		expect(error).toMatchObject({ code: "MQTT_TIMEOUT" });
		expect(error.message).toContain("waiting for 1 PUBACK(s)");
		await untilStats((s) => s.muteOpen === 0);
	});

	it("does not wait for a round trip per QoS-0 message", async () => {
		const many = Array.from({ length: 50 }, () => message(0)[0] as OutgoingMessage);
		await expect(publishAll(url(inject("mqttMutePort")), opts(), many)).resolves.toBeUndefined();
	});

	it("refuses a password without a user name before connecting", async () => {
		const error = await publishAll(broker, { ...opts(), password: "p" }, message(0)).catch(
			(e) => e,
		);
		expect(error).toMatchObject({ code: "MQTT_CONFIG_INVALID" });
	});
});
