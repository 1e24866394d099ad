// ota-edge with every storage call counted, for the "anatomy" table of `npm run bench`: how many
// D1 statements, R2 calls and cache calls one request of each kind makes, including the work
// it defers with waitUntil; statements sent through a D1 session count as D1 statements (and
// the session as `d1_sessions`). Never used for timing. The counts of the requests since the
// last look are read (and cleared) with GET /__bench/anatomy.
import worker from "../src/index.ts";

const finished = [];
let current = null;

const bump = (counts, name) => {
	counts[name] = (counts[name] ?? 0) + 1;
};

function countStatement(statement, counts, raw) {
	return new Proxy(statement, {
		get(target, prop) {
			if (prop === raw) return target;
			if (prop === "bind") return (...args) => countStatement(target.bind(...args), counts, raw);
			const value = Reflect.get(target, prop);
			if (typeof value !== "function") return value;
			if (["first", "all", "run", "raw"].includes(prop)) {
				return (...args) => {
					bump(counts, "d1_statements");
					return value.apply(target, args);
				};
			}
			return value.bind(target);
		},
	});
}

function countD1(db, counts) {
	const raw = Symbol("raw statement");
	return new Proxy(db, {
		get(target, prop) {
			if (prop === "prepare") return (sql) => countStatement(target.prepare(sql), counts, raw);
			// A D1 session (Sessions API) is counted like the binding, and as a session.
			if (prop === "withSession") {
				return (...args) => {
					bump(counts, "d1_sessions");
					return countD1(target.withSession(...args), counts);
				};
			}
			if (prop === "batch") {
				return (statements) => {
					bump(counts, "d1_batches");
					counts.d1_statements = (counts.d1_statements ?? 0) + statements.length;
					return target.batch(statements.map((s) => s[raw] ?? s));
				};
			}
			const value = Reflect.get(target, prop);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
}

function countR2(bucket, counts) {
	return new Proxy(bucket, {
		get(target, prop) {
			const value = Reflect.get(target, prop);
			if (typeof value !== "function") return value;
			return (...args) => {
				bump(counts, `r2_${String(prop)}`);
				const result = value.apply(target, args);
				if (prop !== "createMultipartUpload" && prop !== "resumeMultipartUpload") return result;
				return Promise.resolve(result).then((upload) => countR2(upload, counts));
			};
		},
	});
}

// caches.default is one object per isolate: its calls are charged to the request in flight.
if (typeof caches !== "undefined") {
	const cache = caches.default;
	for (const name of ["match", "put", "delete"]) {
		const original = cache[name].bind(cache);
		cache[name] = (...args) => {
			if (current) bump(current, `cache_${name}`);
			return original(...args);
		};
	}
}

export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		if (url.pathname === "/__bench/anatomy") {
			return Response.json(finished.splice(0));
		}
		const counts = {};
		const deferred = [];
		const counted = { ...env, DB: countD1(env.DB, counts), BLOBS: countR2(env.BLOBS, counts) };
		const context = {
			waitUntil: (promise) => {
				deferred.push(promise);
				ctx.waitUntil(promise);
			},
			passThroughOnException: () => ctx.passThroughOnException(),
			props: ctx.props,
		};
		current = counts;
		const response = await worker.fetch(request, counted, context);
		const label = `${request.method} ${url.pathname}`;
		ctx.waitUntil(
			(async () => {
				// Work deferred by deferred work is caught by going round until nothing new appears.
				let seen = 0;
				while (seen < deferred.length) {
					const batch = deferred.slice(seen);
					seen = deferred.length;
					await Promise.allSettled(batch);
				}
				finished.push({ request: label, status: response.status, counts });
			})(),
		);
		return response;
	},
};
