/** Who is calling, once the token has been verified. */
export type Principal =
	| { kind: "user"; subject: string; roles: ReadonlySet<string> }
	| { kind: "device"; subject: string; modelCode: string; deviceKey: string };
