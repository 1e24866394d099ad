import { connect } from "cloudflare:sockets";
import { FrameReader } from "../../src/lib/mqtt/client";
import {
	decodeConnack,
	encodeConnect,
	encodeDisconnect,
	encodeString,
	type Frame,
	PacketType,
	packet,
} from "../../src/lib/mqtt/packets";

/** A PUBLISH as the broker delivered it. */
export interface ReceivedMessage {
	topic: string;
	payload: string;
	retain: boolean;
	qos: number;
}

/** How long a test waits for deliveries before it fails with what did arrive. */
const WAIT_LIMIT_MS = 4000;

/** Splits a PUBLISH into topic, payload and flags (§3.3), independently of the encoder. */
export function decodePublish(frame: Frame): ReceivedMessage {
	const body = frame.body;
	const topicLength = ((body[0] ?? 0) << 8) | (body[1] ?? 0);
	const topic = new TextDecoder().decode(body.subarray(2, 2 + topicLength));
	const qos = (frame.flags >> 1) & 3;
	const payloadStart = 2 + topicLength + (qos > 0 ? 2 : 0);
	const payload = new TextDecoder().decode(body.subarray(payloadStart));
	return { topic, payload, retain: (frame.flags & 1) === 1, qos };
}

/**
 * A test-only MQTT subscriber over `cloudflare:sockets`: connects anonymously, subscribes at
 * QoS 0 and records every PUBLISH it receives, in order.
 */
export class MqttSubscriber {
	readonly messages: ReceivedMessage[] = [];
	private wake: () => void = () => {};
	private ended: Error | null = null;

	private constructor(private readonly socket: Socket) {}

	static async open(port: number, topicFilters: string[]): Promise<MqttSubscriber> {
		const socket = connect({ hostname: "127.0.0.1", port });
		const writer = socket.writable.getWriter();
		const frames = new FrameReader(socket.readable.getReader());
		const clientId = `test-sub-${crypto.randomUUID().slice(0, 8)}`;
		await writer.write(encodeConnect({ clientId, keepAliveSeconds: 60 }));
		const connack = await frames.next();
		if (connack.type !== PacketType.CONNACK || decodeConnack(connack.body).returnCode !== 0) {
			throw new Error("The test broker refused the subscriber");
		}
		const filters = topicFilters.flatMap((t) => [encodeString(t), Uint8Array.of(0)]);
		await writer.write(
			packet((PacketType.SUBSCRIBE << 4) | 0x02, [Uint8Array.of(0, 1), ...filters]),
		);
		const suback = await frames.next();
		if (suback.type !== PacketType.SUBACK || suback.body.subarray(2).some((rc) => rc === 0x80)) {
			throw new Error(`The test broker refused the subscription to ${topicFilters.join(", ")}`);
		}
		writer.releaseLock();
		const subscriber = new MqttSubscriber(socket);
		subscriber.pump(frames);
		return subscriber;
	}

	private async pump(frames: FrameReader): Promise<void> {
		try {
			for (;;) {
				const frame = await frames.next();
				if (frame.type === PacketType.PUBLISH) this.messages.push(decodePublish(frame));
				this.wake();
			}
		} catch (err) {
			this.ended = err instanceof Error ? err : new Error(String(err));
			this.wake();
		}
	}

	/** Resolves with the first message that matches; fails with what arrived if none does. */
	async waitFor(match: (m: ReceivedMessage) => boolean): Promise<ReceivedMessage> {
		await this.until(() => this.messages.some(match));
		return this.messages.find(match) as ReceivedMessage;
	}

	/** Resolves once `count` messages matched. */
	async waitForCount(count: number, match: (m: ReceivedMessage) => boolean = () => true) {
		await this.until(() => this.messages.filter(match).length >= count);
		return this.messages.filter(match);
	}

	private async until(done: () => boolean): Promise<void> {
		const limit = Date.now() + WAIT_LIMIT_MS;
		while (!done()) {
			if (this.ended || Date.now() > limit) {
				const why = this.ended ? `connection ended: ${this.ended.message}` : "nothing more came";
				throw new Error(
					`Subscriber stopped waiting (${why}) after ${this.messages.length} messages`,
				);
			}
			await new Promise<void>((resolve) => {
				this.wake = resolve;
				setTimeout(resolve, 100);
			});
		}
	}

	async close(): Promise<void> {
		try {
			const writer = this.socket.writable.getWriter();
			await writer.write(encodeDisconnect());
		} catch {
			// already gone
		}
		await this.socket.close().catch(() => {});
	}
}

export interface StandInStats {
	proxied: number;
	silentOpen: number;
	muteOpen: number;
}

/** What the global setup's stand-in servers saw so far (see test/mqtt-provided-context.d.ts). */
export async function readStandInStats(statsPort: number): Promise<StandInStats> {
	const socket = connect({ hostname: "127.0.0.1", port: statsPort });
	const text = await new Response(socket.readable).text();
	await socket.close().catch(() => {});
	return JSON.parse(text) as StandInStats;
}
