/** Types of local-idp.mjs for the tests that start it. */
export interface LocalIdpOptions {
	port?: number;
	/** The private ES256 JWK (with `kid`) it signs with. */
	signingJwk: Record<string, unknown>;
	clientId: string;
	audience: string;
	subject?: string;
	roles?: string[];
	tokenSeconds?: number;
}

export interface LocalIdp {
	/** Its URL, which is also the `iss` of what it signs. */
	issuer: string;
	stop(): Promise<void>;
}

export function startLocalIdp(options: LocalIdpOptions): Promise<LocalIdp>;
