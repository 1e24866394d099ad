import type { Child } from "hono/jsx";
import { useRef } from "hono/jsx/dom";

/**
 * A button whose action is confirmed in a modal <dialog> first: keyboard-friendly (focus moves
 * into the dialog, Escape cancels) and impossible to trigger by a stray click.
 */
export function ConfirmButton(props: {
	label: string;
	question: Child;
	confirmLabel?: string;
	danger?: boolean;
	disabled?: boolean;
	onConfirm: () => unknown;
}) {
	const dialog = useRef<HTMLDialogElement>(null);
	const close = () => dialog.current?.close();
	return (
		<>
			<button
				type="button"
				class={props.danger ? "danger" : undefined}
				disabled={props.disabled}
				onClick={() => dialog.current?.showModal()}
			>
				{props.label}
			</button>
			<dialog ref={dialog} class="confirm">
				<p>{props.question}</p>
				<div class="actions">
					<button type="button" onClick={close} autofocus>
						Cancel
					</button>
					<button
						type="button"
						class={props.danger ? "danger" : "primary"}
						onClick={() => {
							close();
							void props.onConfirm();
						}}
					>
						{props.confirmLabel ?? props.label}
					</button>
				</div>
			</dialog>
		</>
	);
}
