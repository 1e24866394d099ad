// `npm run -s token -- admin | pipeline | device <model_code> <device_key>`: prints a bearer
// token (the JWT alone) that the server started by `npm start` accepts.
import { signLocalToken } from "./local-identity.mjs";

const [kind, model, key] = process.argv.slice(2);
const usage = "usage: npm run -s token -- admin | pipeline | device <model_code> <device_key>";

let claims;
if (kind === "admin" || kind === "pipeline") {
	claims = { sub: `local-${kind}`, azp: `local-${kind}`, roles: [kind] };
} else if (
	kind === "device" &&
	/^[a-z0-9_]{1,50}$/.test(model ?? "") &&
	/^[a-z0-9]{8}$/.test(key ?? "")
) {
	const clientId = `iotdevice-${model}-${key}`;
	claims = { sub: clientId, azp: clientId };
} else {
	console.error(usage);
	process.exit(2);
}
process.stdout.write(`${await signLocalToken(claims)}\n`);
