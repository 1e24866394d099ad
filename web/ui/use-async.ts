import { useCallback, useEffect, useRef, useState } from "hono/jsx/dom";

export type Async<T> =
	| { status: "loading"; data?: undefined; error?: undefined }
	| { status: "done"; data: T; error?: undefined }
	| { status: "error"; data?: undefined; error: Error };

/**
 * Loads `load()` when `deps` change; `reload()` loads again keeping what is shown until the
 * new answer arrives (no flicker after an action).
 */
export function useAsync<T>(
	load: () => Promise<T>,
	deps: readonly unknown[],
): Async<T> & { reload: () => Promise<void> } {
	const [state, setState] = useState<Async<T>>({ status: "loading" });
	// Only the latest load may show its answer: a slow answer for what the page showed before
	// must not replace the one for what it shows now.
	const latest = useRef(0);
	const run = useCallback(async () => {
		const mine = ++latest.current;
		let next: Async<T>;
		try {
			next = { status: "done", data: await load() };
		} catch (err) {
			next = { status: "error", error: err instanceof Error ? err : new Error(String(err)) };
		}
		if (mine === latest.current) setState(next);
	}, deps);
	useEffect(() => {
		setState({ status: "loading" });
		void run();
	}, [run]);
	return { ...state, reload: run };
}

/**
 * Runs an operator's action: `pending` while it runs, its error kept to be shown beside the
 * control, `onDone` after success (usually a reload of what the action changed).
 */
export function useAction<A extends unknown[]>(
	action: (...args: A) => Promise<unknown>,
	onDone?: () => unknown,
): {
	run: (...args: A) => Promise<boolean>;
	pending: boolean;
	error: Error | null;
	clear: () => void;
} {
	const [pending, setPending] = useState(false);
	const [error, setError] = useState<Error | null>(null);
	const run = async (...args: A) => {
		setPending(true);
		setError(null);
		try {
			await action(...args);
			await onDone?.();
			return true;
		} catch (err) {
			setError(err instanceof Error ? err : new Error(String(err)));
			return false;
		} finally {
			setPending(false);
		}
	};
	return { run, pending, error, clear: () => setError(null) };
}
