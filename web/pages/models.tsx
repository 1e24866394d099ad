import { KNOWN_CHIPS } from "../../src/lib/chips";
import { api } from "../api/endpoints";
import type { CrashGroup, DeviceModel, Rollout } from "../api/types";
import { Link, navigate } from "../router";
import { ActionForm } from "../ui/action-form";
import { ago } from "../ui/format";
import { Empty, ErrorNotice, Loading } from "../ui/notice";
import { Badge, PageHeading, Section } from "../ui/page";
import { useAsync } from "../ui/use-async";
import { RolloutBadge } from "./rollout-badge";

type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };
const settle = <T,>(p: Promise<T>): Promise<Settled<T>> =>
	p.then(
		(value) => ({ ok: true as const, value }),
		(error: unknown) => ({ ok: false as const, error: error as Error }),
	);

interface Extras {
	rollout: Settled<Rollout | null>;
	/** Open crash groups: those seen on the model's current version. */
	crashes: Settled<CrashGroup[]>;
}

async function extrasOf(models: DeviceModel[]): Promise<Map<string, Extras>> {
	const entries = await Promise.all(
		models.map(async (m) => {
			const [rollout, crashes] = await Promise.all([
				settle(api.listRollouts(m.code).then((list) => openRollout(list))),
				settle(
					api.listCrashGroups(
						m.code,
						m.firmware_version ? { firmware_version: m.firmware_version } : {},
					),
				),
			]);
			return [m.code, { rollout, crashes }] as const;
		}),
	);
	return new Map(entries);
}

export const openRollout = (list: Rollout[]): Rollout | null =>
	list.find((r) => r.state === "active" || r.state === "paused" || r.state === "halted") ?? null;

export function ModelsPage() {
	const models = useAsync(() => api.listModels(), []);
	return (
		<>
			<PageHeading title="Device models" />
			{models.status === "loading" ? <Loading what="device models" /> : null}
			{models.status === "error" ? <ErrorNotice error={models.error} /> : null}
			{models.status === "done" ? <ModelsTable models={models.data} /> : null}
			<CreateModel />
		</>
	);
}

function ModelsTable(props: { models: DeviceModel[] }) {
	const extras = useAsync(() => extrasOf(props.models), [props.models]);
	if (props.models.length === 0)
		return <Empty>No device models yet: create the first below.</Empty>;
	const found = extras.status === "done" ? [...extras.data.values()] : [];
	const firstError = (pick: (e: Extras) => Settled<unknown>) =>
		found.map(pick).find((s): s is { ok: false; error: Error } => !s.ok)?.error;
	const rolloutError = firstError((e) => e.rollout);
	const crashError = firstError((e) => e.crashes);
	return (
		<>
			{rolloutError ? <ErrorNotice context="Rollout states" error={rolloutError} /> : null}
			{crashError ? <ErrorNotice context="Crash groups" error={crashError} /> : null}
			<table class="stack models">
				<thead>
					<tr>
						<th scope="col">Model</th>
						<th scope="col">Chip</th>
						<th scope="col">Current version</th>
						<th scope="col">Devices</th>
						<th scope="col">Rollout</th>
						<th scope="col">Open crash groups</th>
					</tr>
				</thead>
				<tbody>
					{props.models.map((m) => {
						const e = extras.status === "done" ? extras.data.get(m.code) : undefined;
						return (
							<tr>
								<th scope="row" data-label="Model">
									<Link href={`/models/${m.code}`}>{m.name}</Link>
									<span class="code">{m.code}</span>
								</th>
								<td data-label="Chip">{m.chip ?? "any"}</td>
								<td data-label="Current version">
									{m.firmware_version ? <code>{m.firmware_version}</code> : <Badge>none</Badge>}
								</td>
								<td data-label="Devices">
									<Link href={`/devices?model=${m.code}`}>{String(m.device_count)}</Link>
								</td>
								<td data-label="Rollout">
									{!e ? "…" : e.rollout.ok ? <RolloutBadge rollout={e.rollout.value} /> : "—"}
								</td>
								<td data-label="Open crash groups">
									{!e ? "…" : e.crashes.ok ? <CrashCount groups={e.crashes.value} /> : "—"}
								</td>
							</tr>
						);
					})}
				</tbody>
			</table>
		</>
	);
}

function CrashCount(props: { groups: CrashGroup[] }) {
	if (props.groups.length === 0) return <Badge tone="ok">none</Badge>;
	const latest = props.groups[0];
	return (
		<span>
			<Badge tone="bad">{String(props.groups.length)}</Badge>{" "}
			{latest ? <span class="muted">last {ago(latest.last_seen)}</span> : null}
		</span>
	);
}

function CreateModel() {
	const create = async (form: HTMLFormElement) => {
		const data = new FormData(form);
		const chip = String(data.get("chip") ?? "");
		const model = await api.createModel({
			code: String(data.get("code") ?? "").trim(),
			name: String(data.get("name") ?? "").trim(),
			chip: chip || null,
		});
		navigate(`/models/${model.code}`);
	};
	return (
		<Section id="new-model" title="New device model">
			<ActionForm action={create} label="Create model" pendingLabel="Creating…">
				<label>
					<span>
						Code <small id="code-rule">a–z, 0–9 and _; never changes</small>
					</span>
					<input
						name="code"
						required
						pattern="[a-z0-9_]{1,50}"
						maxlength={50}
						autocomplete="off"
						spellcheck={false}
					/>
				</label>
				<label>
					Name
					<input name="name" required maxlength={200} autocomplete="off" />
				</label>
				<label>
					Chip
					<select name="chip">
						<option value="">any</option>
						{KNOWN_CHIPS.map((chip) => (
							<option value={chip}>{chip}</option>
						))}
					</select>
				</label>
			</ActionForm>
		</Section>
	);
}
