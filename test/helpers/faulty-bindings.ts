/**
 * R2 and D1 bindings that misbehave on purpose, for storage fault tests. A wrapped binding
 * behaves exactly like the real one except for the calls its rules pick:
 *
 *   const blobs = faultyBucket(env.BLOBS, [{ method: "put", match: /\.bin$/ }]);
 *   const db = faultyDatabase(env.DB, [{ method: "batch", fail: "after" }]);
 *   await fetchWithEnv({ BLOBS: blobs.bucket, DB: db.database }, path, init);
 *   expect(blobs.fired()).toBe(1); // the fault really happened
 *
 * A rule picks the `nth` call (from 1, default 1) of one method whose target matches: the key
 * (R2 put/get/head/delete/createMultipartUpload, and a multipart upload's uploadPart/complete),
 * the prefix (R2 list) or the SQL (D1 prepare/first/run/all/raw/batch; a batch matches on its
 * statements' SQL joined by newlines); a D1 session's calls count like the binding's, and its
 * creation is the method `withSession` with the constraint as target. `times` makes it pick that many calls from the nth on.
 *
 * What happens to a picked call:
 * - `fail: "before"` (default): it throws a plain Error as the platform does, and storage is
 *   never touched; a stream body handed to a failing put is cancelled, as a failed put would.
 * - `fail: "after"`: the call reaches storage and takes effect, then its answer is lost (the
 *   caller sees an Error): what a dropped connection after a commit looks like.
 * - `pause`: the call waits for the promise the function returns, then proceeds normally; used
 *   to hold one request at a chosen step while another runs.
 */

export type R2Method =
	| "put"
	| "get"
	| "head"
	| "delete"
	| "list"
	| "createMultipartUpload"
	| "uploadPart"
	| "complete";

export type D1Method = "prepare" | "batch" | "first" | "run" | "all" | "raw" | "withSession";

export interface FaultRule<M extends string> {
	method: M;
	/** Which matching call is picked, counted from 1. Default 1. */
	nth?: number;
	/** How many matching calls from the nth on are picked. Default 1; Infinity for all. */
	times?: number;
	/** Only calls whose target matches count (a RegExp, or a test of target and arguments). */
	match?: RegExp | ((target: string, args: readonly unknown[]) => boolean);
	/** "before" (default) or "after" the call takes effect; ignored when `pause` is given. */
	fail?: "before" | "after";
	/** Instead of failing, wait for this before letting the call through. */
	pause?: () => Promise<void>;
}

export interface FaultLog {
	/** How many picked calls have failed or paused so far. */
	fired(): number;
	/** Every call seen, as "method target", in order. */
	calls(): string[];
	/** The calls that were picked, as "method target". */
	picked(): string[];
}

const R2_MESSAGE = "We encountered an internal error. Please try again. (10001)";
const D1_MESSAGE = "D1_ERROR: Network connection lost.";

class Injector<M extends string> implements FaultLog {
	private readonly seen = new Map<FaultRule<M>, number>();
	private readonly log: string[] = [];
	private readonly pickedLog: string[] = [];

	constructor(
		private readonly rules: readonly FaultRule<M>[],
		private readonly message: (method: M) => string,
	) {}

	fired(): number {
		return this.pickedLog.length;
	}

	calls(): string[] {
		return [...this.log];
	}

	picked(): string[] {
		return [...this.pickedLog];
	}

	/** Runs `call` under the rules: as is, failing before or after it, or after a pause. */
	async apply<T>(
		method: M,
		target: string,
		args: readonly unknown[],
		call: () => Promise<T>,
		onFailBefore?: (err: Error) => Promise<void>,
	): Promise<T> {
		this.log.push(`${method} ${target}`);
		const rule = this.pick(method, target, args);
		if (!rule) return call();
		this.pickedLog.push(`${method} ${target}`);
		if (rule.pause) {
			await rule.pause();
			return call();
		}
		const err = new Error(this.message(method));
		if ((rule.fail ?? "before") === "before") {
			await onFailBefore?.(err);
			throw err;
		}
		const result = await call();
		await discard(result);
		throw err;
	}

	/** The same for calls that answer synchronously (D1 prepare). */
	applySync<T>(method: M, target: string, call: () => T): T {
		this.log.push(`${method} ${target}`);
		const rule = this.pick(method, target, []);
		if (!rule) return call();
		this.pickedLog.push(`${method} ${target}`);
		if (rule.pause) throw new Error("a synchronous call cannot pause");
		if ((rule.fail ?? "before") === "before") throw new Error(this.message(method));
		call();
		throw new Error(this.message(method));
	}

	private pick(method: M, target: string, args: readonly unknown[]): FaultRule<M> | undefined {
		let picked: FaultRule<M> | undefined;
		for (const rule of this.rules) {
			if (rule.method !== method || !matches(rule.match, target, args)) continue;
			const count = (this.seen.get(rule) ?? 0) + 1;
			this.seen.set(rule, count);
			const first = rule.nth ?? 1;
			if (!picked && count >= first && count < first + (rule.times ?? 1)) picked = rule;
		}
		return picked;
	}
}

function matches(
	match: FaultRule<string>["match"],
	target: string,
	args: readonly unknown[],
): boolean {
	if (match === undefined) return true;
	if (match instanceof RegExp) return match.test(target);
	return match(target, args);
}

/** Releases whatever a call answered when its answer is thrown away (an object body). */
async function discard(result: unknown): Promise<void> {
	const body = (result as { body?: unknown } | null)?.body;
	if (body instanceof ReadableStream) await body.cancel().catch(() => {});
}

async function cancelBody(body: unknown, reason: Error): Promise<void> {
	if (body instanceof ReadableStream) await body.cancel(reason).catch(() => {});
}

export function faultyBucket(
	bucket: R2Bucket,
	rules: readonly FaultRule<R2Method>[],
): FaultLog & { bucket: R2Bucket } {
	const injector = new Injector<R2Method>(rules, (method) => `${method}: ${R2_MESSAGE}`);
	const keyOf = (keys: string | string[]) => (Array.isArray(keys) ? keys.join(",") : keys);

	const wrapUpload = (upload: R2MultipartUpload): R2MultipartUpload =>
		new Proxy(upload, {
			get(target, prop) {
				if (prop === "uploadPart") {
					return (part: number, value: unknown, options?: R2UploadPartOptions) =>
						injector.apply(
							"uploadPart",
							`${target.key}#${part}`,
							[part],
							() => target.uploadPart(part, value as ArrayBuffer, options),
							(err) => cancelBody(value, err),
						);
				}
				if (prop === "complete") {
					return (parts: R2UploadedPart[]) =>
						injector.apply("complete", target.key, [parts], () => target.complete(parts));
				}
				const value = Reflect.get(target, prop);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});

	const wrapped: Partial<R2Bucket> = {
		put: (key, value, options) =>
			injector.apply(
				"put",
				key,
				[value, options],
				() => bucket.put(key, value, options),
				(err) => cancelBody(value, err),
			),
		get: ((key: string, options?: R2GetOptions) =>
			injector.apply("get", key, [options], () => bucket.get(key, options))) as R2Bucket["get"],
		head: (key) => injector.apply("head", key, [], () => bucket.head(key)),
		delete: (keys) => injector.apply("delete", keyOf(keys), [keys], () => bucket.delete(keys)),
		list: ((options?: R2ListOptions) =>
			injector.apply("list", options?.prefix ?? "", [options], () =>
				bucket.list(options),
			)) as R2Bucket["list"],
		createMultipartUpload: (key, options) =>
			injector
				.apply("createMultipartUpload", key, [options], () =>
					bucket.createMultipartUpload(key, options),
				)
				.then(wrapUpload),
	};
	return {
		bucket: new Proxy(bucket, {
			get(target, prop) {
				if (prop in wrapped) return wrapped[prop as keyof R2Bucket];
				const value = Reflect.get(target, prop);
				return typeof value === "function" ? value.bind(target) : value;
			},
		}),
		fired: () => injector.fired(),
		calls: () => injector.calls(),
		picked: () => injector.picked(),
	};
}

/** A prepared statement that keeps the real one, so a batch can be handed the real ones. */
class FaultyStatement {
	constructor(
		readonly inner: D1PreparedStatement,
		readonly sql: string,
		private readonly injector: Injector<D1Method>,
	) {}

	bind(...values: unknown[]): FaultyStatement {
		return new FaultyStatement(this.inner.bind(...values), this.sql, this.injector);
	}

	first<T>(column?: string): Promise<T | null> {
		return this.injector.apply("first", this.sql, [column], () =>
			column === undefined ? this.inner.first<T>() : this.inner.first<T>(column),
		);
	}

	run<T>(): Promise<D1Result<T>> {
		return this.injector.apply("run", this.sql, [], () => this.inner.run<T>());
	}

	all<T>(): Promise<D1Result<T>> {
		return this.injector.apply("all", this.sql, [], () => this.inner.all<T>());
	}

	raw<T>(options?: { columnNames?: boolean }): Promise<T[]> {
		return this.injector.apply("raw", this.sql, [options], () =>
			this.inner.raw<T>(options as { columnNames?: false }),
		);
	}
}

export function faultyDatabase(
	db: D1Database,
	rules: readonly FaultRule<D1Method>[],
): FaultLog & { database: D1Database } {
	const injector = new Injector<D1Method>(rules, () => D1_MESSAGE);
	const unwrap = (s: D1PreparedStatement) =>
		s instanceof FaultyStatement ? s.inner : (s as D1PreparedStatement);
	const sqlOf = (s: D1PreparedStatement) => (s instanceof FaultyStatement ? s.sql : "?");

	// The binding and its D1 sessions (Sessions API) go through the same rules and log; a
	// session's creation is logged as "withSession <constraint>".
	const wrap = <D extends D1Database | D1DatabaseSession>(target: D): D => {
		const wrapped: Partial<D1Database> = {
			prepare: (sql) =>
				injector.applySync(
					"prepare",
					sql,
					() => new FaultyStatement(target.prepare(sql), sql, injector),
				) as unknown as D1PreparedStatement,
			batch: (<T>(statements: D1PreparedStatement[]) =>
				injector.apply("batch", statements.map(sqlOf).join("\n"), [statements], () =>
					target.batch<T>(statements.map(unwrap)),
				)) as D1Database["batch"],
			withSession: (constraint) =>
				injector.applySync("withSession", String(constraint), () =>
					wrap((target as D1Database).withSession(constraint)),
				),
		};
		return new Proxy(target, {
			get(inner, prop) {
				if (prop in wrapped) return wrapped[prop as keyof D1Database];
				const value = Reflect.get(inner, prop);
				return typeof value === "function" ? value.bind(inner) : value;
			},
		});
	};
	return {
		database: wrap(db),
		fired: () => injector.fired(),
		calls: () => injector.calls(),
		picked: () => injector.picked(),
	};
}

/** A gate for `pause` rules: `wait` blocks callers until `open()`; `reached` resolves on the first. */
export function gate(): { wait: () => Promise<void>; open: () => void; reached: Promise<void> } {
	let open!: () => void;
	let arrive!: () => void;
	const opened = new Promise<void>((resolve) => {
		open = resolve;
	});
	const reached = new Promise<void>((resolve) => {
		arrive = resolve;
	});
	return {
		wait: () => {
			arrive();
			return opened;
		},
		open,
		reached,
	};
}
