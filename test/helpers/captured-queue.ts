import type { AnalysisMessage } from "../../src/queues/analysis-messages";

/**
 * A stand-in for COREDUMP_QUEUE that keeps what is sent, so a test decides when (and with which
 * decoder) the consumer runs; `failing` makes every send throw, as an unavailable queue would.
 */
export class CapturedQueue {
	readonly sent: AnalysisMessage[] = [];
	constructor(private readonly failing = false) {}

	/** The ids sent so far, and forgets them. */
	take(): string[] {
		return this.sent.splice(0).map((m) => m.coredump_id);
	}

	asQueue(): Queue<AnalysisMessage> {
		const self = this;
		return {
			async send(body: AnalysisMessage) {
				if (self.failing) throw new Error("Queue send failed");
				self.sent.push(body);
			},
			async sendBatch(messages: Iterable<MessageSendRequest<AnalysisMessage>>) {
				if (self.failing) throw new Error("Queue sendBatch failed");
				for (const m of messages) self.sent.push(m.body);
			},
		} as unknown as Queue<AnalysisMessage>;
	}
}
