import type { Context } from "hono";
import { limitsOf } from "../env";
import type { AppEnv } from "../hono-env";
import { uploadBodyOf } from "../http/upload-body";
import { uploadFirmware } from "../services/firmware-upload";
import { countBytes, deferTo } from "./context";

/**
 * Answers a firmware upload, from CI or an admin alike. `zipOperation` renames the request's
 * operation once the body turns out to be a bundle (the pipeline counts those apart).
 */
export async function answerUpload(c: Context<AppEnv>, code: string, zipOperation?: string) {
	const facts = c.get("facts");
	facts.model = code;
	const result = await uploadFirmware(c.env, limitsOf(c.env), code, uploadBodyOf(c.req.raw), {
		defer: deferTo(c),
		onFormat: (format) => {
			if (format === "zip" && zipOperation) facts.operation = zipOperation;
		},
		onReceived: countBytes(c),
	});
	return c.json(result, 200);
}
