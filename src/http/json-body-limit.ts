import { bodyLimit } from "hono/body-limit";
import { PayloadTooLarge } from "../errors";

const JSON_MAX_BYTES = 64 * 1024;

/** The body limit of every JSON endpoint: 64 KiB, refused with 413 PAYLOAD_TOO_LARGE. */
export const jsonBodyLimit = bodyLimit({
	maxSize: JSON_MAX_BYTES,
	onError: () => {
		throw new PayloadTooLarge(JSON_MAX_BYTES, "JSON body");
	},
});
