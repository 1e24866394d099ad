import "vitest";

/** Values test/helpers/mosquitto-setup.ts hands to the MQTT tests. */
declare module "vitest" {
	export interface ProvidedContext {
		/** The private mosquitto: anonymous clients allowed. */
		mqttPort: number;
		/** The one user of its password file (any other password is refused). */
		mqttUsername: string;
		mqttPassword: string;
		/** A loopback port nothing listens on. */
		mqttClosedPort: number;
		/** Accepts TCP connections and never sends a byte. */
		mqttSilentPort: number;
		/** Answers CONNECT with CONNACK, then never acknowledges anything. */
		mqttMutePort: number;
		/** A pass-through to mosquitto that counts the connections it accepts. */
		mqttProxyPort: number;
		/**
		 * Sends one JSON line, then closes: `{ proxied, silentOpen, muteOpen }`, the connections
		 * the proxy accepted so far and those open right now on the silent and mute ports.
		 */
		mqttStatsPort: number;
	}
}
