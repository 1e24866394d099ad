import type { Child } from "hono/jsx";
import { ErrorNotice } from "./notice";
import { useAction } from "./use-async";

/**
 * A form that runs `action` with itself when submitted (the page is not reloaded), its submit
 * button disabled and relabelled while the action runs, and the action's error shown below it.
 */
export function ActionForm(props: {
	action: (form: HTMLFormElement) => Promise<unknown>;
	label: string;
	pendingLabel: string;
	children: Child;
}) {
	const act = useAction(props.action);
	return (
		<>
			<form
				class="inline-form"
				onSubmit={(event: Event) => {
					event.preventDefault();
					void act.run(event.currentTarget as HTMLFormElement);
				}}
			>
				{props.children}
				<button type="submit" class="primary" disabled={act.pending}>
					{act.pending ? props.pendingLabel : props.label}
				</button>
			</form>
			{act.error ? <ErrorNotice error={act.error} /> : null}
		</>
	);
}
