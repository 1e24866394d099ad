// After the load run (bench/load.mjs): nothing lost. Every version the model still has and
// every core dump a device still has is downloaded and compared with what was sent, and what
// is kept is what retention promises.
import { sha256Hex } from "./load-firmware.mjs";
import { MODEL } from "./load-traffic.mjs";

const KEEP_VERSIONS = 10;
const KEEP_COREDUMPS = 20;
const bytesOf = async (res) => new Uint8Array(await res.arrayBuffer());

export async function verify(call, admin, pipeline, devices) {
	const lost = [];
	const versions = await (
		await call(`/api/device-models/${MODEL}/firmware/versions`, admin)
	).json();
	const model = await (await call(`/api/device-models/${MODEL}`, admin)).json();
	if (model.firmware_version !== pipeline.current.version) {
		lost.push(`current is ${model.firmware_version}, not ${pipeline.current.version}`);
	}
	if (versions.count !== Math.min(KEEP_VERSIONS, pipeline.stored.size)) {
		lost.push(`${versions.count} versions kept of ${pipeline.stored.size}`);
	}
	let versionBytes = 0;
	for (const { version } of versions.versions) {
		const expected = pipeline.stored.get(version);
		if (!expected) {
			lost.push(`version ${version} was never stored`);
			continue;
		}
		const path = `/api/device-models/${MODEL}/firmware/versions/${version}`;
		const bin = await bytesOf(await call(`${path}/bin`, admin));
		if (sha256Hex(bin) !== expected.sha256) lost.push(`version ${version}: image differs`);
		versionBytes += bin.length;
		if (expected.zipSha256) {
			const zip = await bytesOf(await call(`${path}/zip`, admin));
			if (sha256Hex(zip) !== expected.zipSha256) lost.push(`version ${version}: bundle differs`);
			versionBytes += zip.length;
		}
	}

	let dumps = 0;
	let accepted = 0;
	for (const device of devices) {
		accepted += device.dumps.length;
		const list = await (await call(`/api/devices/${device.key}/coredumps`, admin)).json();
		if (list.count !== Math.min(KEEP_COREDUMPS, device.dumps.length)) {
			lost.push(`device ${device.key}: ${list.count} dumps kept of ${device.dumps.length}`);
		}
		for (const dump of list.coredumps) {
			const sent = device.dumps.find((s) => s.id === dump.id);
			if (!sent) {
				lost.push(`device ${device.key}: dump ${dump.id} was never sent`);
				continue;
			}
			const path = `/api/devices/${device.key}/coredumps/${dump.id}/download`;
			if (sha256Hex(await bytesOf(await call(path, admin))) !== sent.sha256) {
				lost.push(`device ${device.key}: dump ${dump.id} differs`);
			}
			dumps++;
		}
	}
	return { lost, versions: versions.count, versionBytes, dumps, accepted };
}
