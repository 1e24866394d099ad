import { useState } from "hono/jsx/dom";
import type { ConsoleConfig } from "../auth/config";
import { beginSignIn } from "../auth/sign-in";
import { ErrorNotice } from "../ui/notice";
import { PageHeading } from "../ui/page";

/** Signed out: one button to the identity provider, and why the last attempt failed, if it did. */
export function SignInPage(props: { config: ConsoleConfig; error?: Error }) {
	const [leaving, setLeaving] = useState(false);
	const provider = new URL(props.config.authorization_endpoint).host;
	return (
		<main id="main" class="sign-in">
			<PageHeading title="ota-edge console" />
			<p>Firmware, rollouts and crashes of your device fleets.</p>
			{props.error ? <ErrorNotice context="Sign-in failed" error={props.error} /> : null}
			<button
				type="button"
				class="primary big"
				disabled={leaving}
				onClick={() => {
					setLeaving(true);
					void beginSignIn(props.config, location.pathname + location.search);
				}}
			>
				{leaving ? "Signing in…" : "Sign in"}
			</button>
			<p class="muted">
				with <strong>{provider}</strong> as client <code>{props.config.client_id}</code>
			</p>
		</main>
	);
}
