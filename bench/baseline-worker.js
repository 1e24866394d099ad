// The baseline `npm run bench` measures ota-edge against: the least a Worker does to serve one
// R2 object — no auth, no database, one R2 call per request.
//   GET /object/<key>   streams the object; If-None-Match → 304, Range → 206 (R2 parses both)
//   HEAD /object/<key>  size and ETag
//   PUT /object/<key>   stores the body in one put; a key ending in "/" gets a unique name
// With the var LOG_EACH_REQUEST set it also writes one JSON log line per request, as ota-edge
// does, which shows what that line costs under wrangler dev.
export default {
	async fetch(request, env) {
		const response = await serve(request, env);
		if (env.LOG_EACH_REQUEST) {
			const { pathname } = new URL(request.url);
			console.log(
				JSON.stringify({ method: request.method, path: pathname, status: response.status }),
			);
		}
		return response;
	},
};

async function serve(request, env) {
	let key = decodeURIComponent(new URL(request.url).pathname.slice("/object/".length));
	if (request.method === "PUT") {
		if (key.endsWith("/")) key += crypto.randomUUID();
		await env.BLOBS.put(key, request.body);
		return Response.json({ key }, { status: 201 });
	}
	if (request.method === "HEAD") {
		const head = await env.BLOBS.head(key);
		if (!head) return new Response(null, { status: 404 });
		return new Response(null, {
			headers: { etag: head.httpEtag, "content-length": String(head.size) },
		});
	}
	const object = await env.BLOBS.get(key, { onlyIf: request.headers, range: request.headers });
	if (!object) return new Response("not found", { status: 404 });
	const headers = new Headers({ etag: object.httpEtag, "accept-ranges": "bytes" });
	if (!("body" in object)) return new Response(null, { status: 304, headers });
	if (!request.headers.has("range")) return new Response(object.body, { headers });
	const { offset, length } = object.range;
	headers.set("content-range", `bytes ${offset}-${offset + length - 1}/${object.size}`);
	return new Response(object.body, { status: 206, headers });
}
