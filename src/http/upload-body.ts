import type { UploadBody } from "../lib/upload-body";

/** What an upload service needs of a request: its body stream and its declared length. */
export function uploadBodyOf(request: Request): UploadBody {
	return { stream: request.body, declaredLength: request.headers.get("content-length") };
}
