import type { Child } from "hono/jsx";
import { useEffect, useRef } from "hono/jsx/dom";
import { hasMoved } from "../router";

/**
 * A page's one <h1>. When the operator moves to a page within the console it takes the focus,
 * so keyboard and screen reader users start at the new page's title (the router swaps pages
 * without a load, which would otherwise leave the focus on a vanished link); it names the tab.
 */
export function PageHeading(props: { title: string; children?: Child; sub?: Child }) {
	const heading = useRef<HTMLHeadingElement>(null);
	useEffect(() => {
		document.title = `${props.title} · ota-edge`;
	}, [props.title]);
	useEffect(() => {
		if (!hasMoved()) return;
		heading.current?.focus({ preventScroll: true });
		window.scrollTo(0, 0);
	}, []);
	return (
		<header class="page-heading">
			<h1 ref={heading} tabindex={-1}>
				{props.children ?? props.title}
			</h1>
			{props.sub ? <p class="sub">{props.sub}</p> : null}
		</header>
	);
}

/** A titled part of a page; its heading is what the in-page navigation links to. */
export function Section(props: { id: string; title: string; children?: Child; actions?: Child }) {
	return (
		<section class="card" id={props.id} aria-labelledby={`${props.id}-title`}>
			<div class="card-head">
				<h2 id={`${props.id}-title`}>{props.title}</h2>
				{props.actions ? <div class="card-actions">{props.actions}</div> : null}
			</div>
			{props.children}
		</section>
	);
}

/** Label/value pairs laid out as a grid that folds to one column on a phone. */
export function Facts(props: { items: [string, Child][] }) {
	return (
		<dl class="facts">
			{props.items.map(([term, value]) => (
				<div>
					<dt>{term}</dt>
					<dd>{value}</dd>
				</div>
			))}
		</dl>
	);
}

export function Badge(props: { tone?: "ok" | "warn" | "bad" | "info" | "muted"; children: Child }) {
	return <span class={`badge ${props.tone ?? "muted"}`}>{props.children}</span>;
}
