import { api } from "../api/endpoints";
import type { Device } from "../api/types";
import { Link, navigate } from "../router";
import { ConfirmButton } from "../ui/confirm";
import { ago, bytes, time } from "../ui/format";
import { Empty, ErrorNotice, Loading } from "../ui/notice";
import { Badge, Facts, PageHeading, Section } from "../ui/page";
import { useAction, useAsync } from "../ui/use-async";
import { AnalysisStatusBadge } from "./dump-status";

/** One device: what it runs and is served, its pin, and its core dumps. */
export function DevicePage(props: { deviceKey: string }) {
	const key = props.deviceKey;
	const device = useAsync(() => api.getDevice(key), [key]);
	const act = useAction((run: () => Promise<unknown>) => run(), device.reload);
	const remove = useAction(async (modelCode: string) => {
		await api.deleteDevice(key);
		navigate(`/devices?model=${encodeURIComponent(modelCode)}`);
	});
	const d = device.status === "done" ? device.data : null;
	return (
		<>
			<nav class="crumbs" aria-label="Breadcrumb">
				<Link href="/devices">Devices</Link>
				{d ? <Link href={`/devices?model=${d.model_code}`}>{d.model_code}</Link> : null}
			</nav>
			<PageHeading title={d?.name ? `${d.name} (${key})` : `Device ${key}`} />
			{device.status === "loading" ? <Loading what="the device" /> : null}
			{device.status === "error" ? <ErrorNotice error={device.error} /> : null}
			{d ? (
				<>
					<Facts
						items={[
							["Model", <Link href={`/models/${d.model_code}`}>{d.model_code}</Link>],
							[
								"State",
								d.active ? <Badge tone="ok">active</Badge> : <Badge tone="bad">inactive</Badge>,
							],
							[
								"Runs",
								d.reported_version ? `${d.reported_version} (${d.reported_state ?? "?"})` : "—",
							],
							["Served", d.target_version ?? "—"],
							["Last seen", ago(d.last_seen_at ?? null)],
							["Client id", <code class="wrap">{d.client_id}</code>],
							["Registered", time(d.created_at)],
						]}
					/>
					<div class="buttons">
						<button
							type="button"
							disabled={act.pending}
							onClick={() => act.run(() => api.updateDevice(key, { active: !d.active }))}
						>
							{d.active ? "Deactivate" : "Activate"}
						</button>
						<ConfirmButton
							label="Delete device"
							danger
							question={`Delete device ${key} and its core dumps? Its token stops working.`}
							onConfirm={() => remove.run(d.model_code)}
						/>
					</div>
					{act.error ? <ErrorNotice context="Device change" error={act.error} /> : null}
					{remove.error ? <ErrorNotice context="Delete" error={remove.error} /> : null}
					<Pin device={d} onChanged={device.reload} />
				</>
			) : null}
			<Dumps deviceKey={key} />
		</>
	);
}

/** A pinned device gets its pinned version whatever the model's current version or rollout. */
function Pin(props: { device: Device; onChanged: () => Promise<void> }) {
	const d = props.device;
	const versions = useAsync(() => api.listVersions(d.model_code), [d.model_code]);
	const pin = useAction(
		(version: string | null) => api.updateDevice(d.key, { pinned_version: version }),
		props.onChanged,
	);
	return (
		<Section id="pin" title="Pin to a version">
			<p>
				{d.pinned_version ? (
					<>
						Pinned to <code>{d.pinned_version}</code>: it gets that version whatever the model's
						current version or rollout.
					</>
				) : (
					"Not pinned: it follows the model's current version and rollouts."
				)}
			</p>
			{versions.status === "error" ? (
				<ErrorNotice context="Versions" error={versions.error} />
			) : null}
			<form
				class="inline-form"
				onSubmit={(event: Event) => {
					event.preventDefault();
					const data = new FormData(event.currentTarget as HTMLFormElement);
					void pin.run(String(data.get("version")));
				}}
			>
				<label>
					Version
					<select name="version" required>
						{(versions.status === "done" ? versions.data : []).map((v) => (
							<option value={v.version} selected={v.version === d.pinned_version}>
								{v.version}
								{v.current ? " (current)" : ""}
							</option>
						))}
					</select>
				</label>
				<button type="submit" class="primary" disabled={pin.pending}>
					Pin
				</button>
				{d.pinned_version ? (
					<button type="button" disabled={pin.pending} onClick={() => pin.run(null)}>
						Unpin
					</button>
				) : null}
			</form>
			{pin.error ? <ErrorNotice context="Pin" error={pin.error} /> : null}
		</Section>
	);
}

function Dumps(props: { deviceKey: string }) {
	const dumps = useAsync(() => api.listCoredumps(props.deviceKey), [props.deviceKey]);
	return (
		<Section id="coredumps" title="Core dumps">
			{dumps.status === "loading" ? <Loading what="core dumps" /> : null}
			{dumps.status === "error" ? <ErrorNotice error={dumps.error} /> : null}
			{dumps.status === "done" && dumps.data.length === 0 ? <Empty>No core dumps.</Empty> : null}
			{dumps.status === "done" && dumps.data.length > 0 ? (
				<table class="stack">
					<thead>
						<tr>
							<th scope="col">Uploaded</th>
							<th scope="col">Crash</th>
							<th scope="col">Version</th>
							<th scope="col">Size</th>
						</tr>
					</thead>
					<tbody>
						{dumps.data.map((c) => (
							<tr>
								<th scope="row" data-label="Uploaded">
									<Link href={`/devices/${props.deviceKey}/coredumps/${c.id}`}>
										{time(c.uploaded_at)}
									</Link>
								</th>
								<td data-label="Crash">
									<AnalysisStatusBadge status={c.status} />{" "}
									{c.panic_reason ?? c.exception?.name ?? ""}
								</td>
								<td data-label="Version">
									<code>{c.firmware_version}</code>
								</td>
								<td data-label="Size">{bytes(c.size)}</td>
							</tr>
						))}
					</tbody>
				</table>
			) : null}
		</Section>
	);
}
