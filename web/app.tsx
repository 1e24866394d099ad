import type { Child } from "hono/jsx";
import { useSyncExternalStore } from "hono/jsx/dom";
import type { ConsoleConfig } from "./auth/config";
import { session } from "./auth/session";
import { beginSignIn, signOut } from "./auth/sign-in";
import { CrashGroupPage } from "./pages/crash-group";
import { DevicePage } from "./pages/device";
import { DevicesPage } from "./pages/devices";
import { DumpPage } from "./pages/dump";
import { ModelPage } from "./pages/model";
import { ModelsPage } from "./pages/models";
import { SignInPage } from "./pages/sign-in";
import { Link, match, useLocation } from "./router";
import { PageHeading } from "./ui/page";

type Params = Record<string, string>;
const ROUTES: [string, (p: Params, query: URLSearchParams) => Child][] = [
	["/", () => <ModelsPage />],
	["/models/:code", (p) => <ModelPage code={p.code as string} />],
	[
		"/models/:code/crashes/:signature",
		(p) => <CrashGroupPage code={p.code as string} signature={p.signature as string} />,
	],
	["/devices", (_, q) => <DevicesPage model={q.get("model")} />],
	["/devices/:key", (p) => <DevicePage deviceKey={p.key as string} />],
	[
		"/devices/:key/coredumps/:id",
		(p) => <DumpPage deviceKey={p.key as string} id={p.id as string} />,
	],
];

function page(path: string, query: URLSearchParams): Child {
	for (const [pattern, render] of ROUTES) {
		const params = match(pattern, path);
		if (params) return render(params, query);
	}
	return (
		<>
			<PageHeading title="Not found" />
			<p>
				The console has no page at <code>{path}</code>. <Link href="/">Back to the models</Link>.
			</p>
		</>
	);
}

const subscribe = (listener: () => void) => session.subscribe(listener);

export function App(props: { config: ConsoleConfig }) {
	const state = useSyncExternalStore(subscribe, session.state);
	const { path, query, href } = useLocation();
	if (state === "signed-out") return <SignInPage config={props.config} />;
	const user = session.user();
	return (
		<>
			<a class="skip" href="#main">
				Skip to content
			</a>
			<header class="top">
				<Link href="/" class="brand" label="ota-edge console: device models">
					ota-edge
				</Link>
				<nav aria-label="Main">
					<Link href="/" class={path === "/" || path.startsWith("/models") ? "here" : undefined}>
						Models
					</Link>
					<Link href="/devices" class={path.startsWith("/devices") ? "here" : undefined}>
						Devices
					</Link>
				</nav>
				<div class="who">
					<span class="user">{user?.name}</span>
					<button type="button" onClick={() => signOut(props.config)}>
						Sign out
					</button>
				</div>
			</header>
			{state === "expired" ? (
				<div class="notice warn session" role="alert">
					<p>Your session has ended. What you see may be out of date.</p>
					<button type="button" class="primary" onClick={() => beginSignIn(props.config, href)}>
						Sign in again
					</button>
				</div>
			) : null}
			<main id="main" tabindex={-1}>
				<div key={path}>{page(path, query)}</div>
			</main>
		</>
	);
}
