/** Who is calling, once the token has been verified. */
export interface Principal {
	subject: string;
	roles: ReadonlySet<string>;
	/** `azp` or `client_id`; for devices `iotdevice-<model_code>-<device_key>`. */
	clientId: string | null;
}
