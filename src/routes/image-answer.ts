import type { Context } from "hono";
import type { AppEnv } from "../hono-env";
import { imageConditions, sendBinary } from "../http/binary-response";
import { imageAnswer } from "../services/firmware-download";
import type { ServedVersion } from "../services/firmware-versions";
import { deferTo } from "./context";

/**
 * Answers an image download (devices and admins alike): the request's conditions go to the
 * download service, its decision goes back as the response.
 */
export async function answerImage(c: Context<AppEnv>, row: ServedVersion, immutable: boolean) {
	const answer = await imageAnswer(c.env, imageConditions(c.req.raw), row, {
		immutable,
		defer: deferTo(c),
	});
	return sendBinary(c, answer);
}
