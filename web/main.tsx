import "./console.css";
import type { Child } from "hono/jsx";
import { render } from "hono/jsx/dom";
import { App } from "./app";
import { type ConsoleConfig, loadConfig } from "./auth/config";
import { session } from "./auth/session";
import { beginSignIn, completeSignIn, isCallback, shouldResume } from "./auth/sign-in";
import { SignInPage } from "./pages/sign-in";
import { navigate } from "./router";
import { ErrorNotice } from "./ui/notice";
import { PageHeading } from "./ui/page";

const root = document.getElementById("app") as HTMLElement;

function show(node: Child) {
	root.replaceChildren();
	render(node, root);
}

async function boot() {
	let config: ConsoleConfig;
	try {
		config = await loadConfig();
	} catch (err) {
		show(
			<main id="main" class="sign-in">
				<PageHeading title="ota-edge console" />
				<ErrorNotice context="The console cannot sign in" error={err as Error} />
			</main>,
		);
		return;
	}
	session.configure(config);
	if (isCallback(config)) {
		try {
			navigate(await completeSignIn(config), { replace: true, initial: true });
		} catch (err) {
			show(<SignInPage config={config} error={err as Error} />);
			return;
		}
	} else if (shouldResume()) {
		// This tab was signed in before the reload: go round the provider again, back here.
		await beginSignIn(config, location.pathname + location.search);
		return;
	}
	show(<App config={config} />);
}

void boot();
