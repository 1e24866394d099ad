import type { Child } from "hono/jsx";
import { ApiError } from "../api/client";

/**
 * An error exactly as the API gave it: its sentence, its code and status. Nothing is ever
 * swallowed: a page whose data failed says why, in place of the data.
 */
export function ErrorNotice(props: { error: Error; context?: string }) {
	const { error } = props;
	const api = error instanceof ApiError ? error : null;
	return (
		<div class="notice error" role="alert">
			<p>
				{props.context ? <span class="context">{props.context}: </span> : null}
				<span class="message">{error.message}</span>
			</p>
			{api ? (
				<p class="meta">
					<code>{api.code}</code>
					{api.status ? <span> · HTTP {api.status}</span> : null}
				</p>
			) : null}
			{api?.details?.issues && Array.isArray(api.details.issues) ? (
				<ul class="issues">
					{(api.details.issues as { field?: string; message?: string }[]).map((issue) => (
						<li>
							<code>{issue.field ?? "?"}</code> {issue.message ?? ""}
						</li>
					))}
				</ul>
			) : null}
		</div>
	);
}

export function Loading(props: { what?: string }) {
	return (
		<p class="loading" role="status">
			Loading{props.what ? ` ${props.what}` : ""}…
		</p>
	);
}

export function Empty(props: { children: Child }) {
	return <p class="empty">{props.children}</p>;
}

/** A short-lived success line for screen readers and eyes alike. */
export function Done(props: { children: Child }) {
	return (
		<p class="notice done" role="status">
			{props.children}
		</p>
	);
}
