import { api } from "../api/endpoints";
import type { Device, DeviceModel } from "../api/types";
import { Link, navigate } from "../router";
import { ActionForm } from "../ui/action-form";
import { ConfirmButton } from "../ui/confirm";
import { ago } from "../ui/format";
import { Empty, ErrorNotice, Loading } from "../ui/notice";
import { Badge, PageHeading, Section } from "../ui/page";
import { useAction, useAsync } from "../ui/use-async";

/** Every device, or one model's: register, deactivate, delete; pin on the device's page. */
export function DevicesPage(props: { model: string | null }) {
	const models = useAsync(() => api.listModels(), []);
	const devices = useAsync(() => api.listDevices(props.model ?? undefined), [props.model]);
	const act = useAction((run: () => Promise<unknown>) => run(), devices.reload);
	const modelList = models.status === "done" ? models.data : [];
	return (
		<>
			<PageHeading title={props.model ? `Devices of ${props.model}` : "Devices"} />
			<label class="filter">
				Model
				<select
					name="model"
					onChange={(event: Event) => {
						const value = (event.currentTarget as HTMLSelectElement).value;
						navigate(value ? `/devices?model=${encodeURIComponent(value)}` : "/devices", {
							replace: true,
						});
					}}
				>
					<option value="">all models</option>
					{modelList.map((m) => (
						<option value={m.code} selected={m.code === props.model}>
							{m.code}
						</option>
					))}
				</select>
			</label>
			{models.status === "error" ? <ErrorNotice context="Models" error={models.error} /> : null}
			{devices.status === "loading" ? <Loading what="devices" /> : null}
			{devices.status === "error" ? <ErrorNotice error={devices.error} /> : null}
			{act.error ? <ErrorNotice context="Device change" error={act.error} /> : null}
			{devices.status === "done" && devices.data.length === 0 ? <Empty>No devices.</Empty> : null}
			{devices.status === "done" && devices.data.length > 0 ? (
				<DeviceTable devices={devices.data} act={act} />
			) : null}
			<CreateDevice models={modelList} model={props.model} onCreated={devices.reload} />
		</>
	);
}

function DeviceTable(props: {
	devices: Device[];
	act: { run: (run: () => Promise<unknown>) => Promise<boolean>; pending: boolean };
}) {
	const { act } = props;
	return (
		<table class="stack devices">
			<thead>
				<tr>
					<th scope="col">Device</th>
					<th scope="col">Model</th>
					<th scope="col">State</th>
					<th scope="col">Runs</th>
					<th scope="col">Last seen</th>
					<th scope="col">
						<span class="visually-hidden">Actions</span>
					</th>
				</tr>
			</thead>
			<tbody>
				{props.devices.map((d) => (
					<tr>
						<th scope="row" data-label="Device">
							<Link href={`/devices/${d.key}`}>
								<code>{d.key}</code>
							</Link>
							{d.name ? <span class="code">{d.name}</span> : null}
						</th>
						<td data-label="Model">
							<Link href={`/models/${d.model_code}`}>{d.model_code}</Link>
						</td>
						<td data-label="State">
							{d.active ? <Badge tone="ok">active</Badge> : <Badge tone="bad">inactive</Badge>}
							{d.pinned_version ? <Badge tone="info">pinned {d.pinned_version}</Badge> : null}
						</td>
						<td data-label="Runs">
							{d.reported_version ? <code>{d.reported_version}</code> : "—"}
							{d.reported_state ? <span class="muted"> {d.reported_state}</span> : null}
						</td>
						<td data-label="Last seen">{ago(d.last_seen_at ?? d.last_coredump_at ?? null)}</td>
						<td class="row-actions" data-label="Actions">
							<button
								type="button"
								disabled={act.pending}
								onClick={() => act.run(() => api.updateDevice(d.key, { active: !d.active }))}
								aria-label={`${d.active ? "Deactivate" : "Activate"} ${d.key}`}
							>
								{d.active ? "Deactivate" : "Activate"}
							</button>
							<Link class="button" href={`/devices/${d.key}#pin`} label={`Pin ${d.key}`}>
								Pin…
							</Link>
							<ConfirmButton
								label="Delete"
								danger
								disabled={act.pending}
								question={`Delete device ${d.key} and its core dumps? Its token stops working.`}
								onConfirm={() => act.run(() => api.deleteDevice(d.key))}
							/>
						</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}

function CreateDevice(props: {
	models: DeviceModel[];
	model: string | null;
	onCreated: () => Promise<void>;
}) {
	const create = async (form: HTMLFormElement) => {
		const data = new FormData(form);
		const name = String(data.get("name") ?? "").trim();
		const device = await api.createDevice({
			model_code: String(data.get("model_code") ?? ""),
			name: name || null,
		});
		form.reset();
		await props.onCreated();
		navigate(`/devices/${device.key}`);
	};
	return (
		<Section id="new-device" title="Register a device">
			<ActionForm action={create} label="Register device" pendingLabel="Registering…">
				<label>
					Model
					<select name="model_code" required>
						{props.models.map((m) => (
							<option value={m.code} selected={m.code === props.model}>
								{m.code}
							</option>
						))}
					</select>
				</label>
				<label>
					Name
					<input name="name" maxlength={200} autocomplete="off" placeholder="optional" />
				</label>
			</ActionForm>
		</Section>
	);
}
