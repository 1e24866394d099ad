import { api } from "../api/endpoints";
import type { FirmwareVersion, Rollout } from "../api/types";
import { ConfirmButton } from "../ui/confirm";
import { rate, time } from "../ui/format";
import { ErrorNotice, Loading } from "../ui/notice";
import { Facts, Section } from "../ui/page";
import { type Async, useAction, useAsync } from "../ui/use-async";
import { openRollout } from "./models";
import { RolloutState } from "./rollout-badge";
import { RolloutStart } from "./rollout-start";

/**
 * The model's rollout (SPEC §13): the open one with its controls and guard, or the form that
 * starts one; then the history.
 */
export function ModelRollout(props: {
	code: string;
	versions: Async<FirmwareVersion[]>;
	onChanged: () => Promise<void>;
}) {
	const { code } = props;
	const rollouts = useAsync(() => api.listRollouts(code), [code]);
	const changed = async () => {
		await Promise.all([rollouts.reload(), props.onChanged()]);
	};
	const current = rollouts.status === "done" ? openRollout(rollouts.data) : null;
	const past = rollouts.status === "done" ? rollouts.data.filter((r) => r !== current) : [];
	return (
		<Section id="rollout" title="Rollout">
			{rollouts.status === "loading" ? <Loading what="rollouts" /> : null}
			{rollouts.status === "error" ? (
				<ErrorNotice context="Rollouts could not be read" error={rollouts.error} />
			) : null}
			{current ? <OpenRollout code={code} rollout={current} onChanged={changed} /> : null}
			{rollouts.status !== "loading" && !current ? (
				<RolloutStart code={code} versions={props.versions} onStarted={changed} />
			) : null}
			{past.length > 0 ? <RolloutHistory rollouts={past} /> : null}
		</Section>
	);
}

function OpenRollout(props: { code: string; rollout: Rollout; onChanged: () => Promise<void> }) {
	const { code, rollout: r } = props;
	const act = useAction((run: () => Promise<unknown>) => run(), props.onChanged);
	const guard = r.guard;
	return (
		<div class="rollout" aria-live="polite">
			<p class="rollout-title">
				<RolloutState state={r.state} /> <code>{r.version}</code>
				{r.baseline_version ? (
					<span class="muted">
						{" "}
						from <code>{r.baseline_version}</code>
					</span>
				) : null}
			</p>
			<label class="meter">
				<span>
					{r.percent} % of devices · {r.devices_targeted} targeted
				</span>
				<progress max={100} value={r.percent}>
					{r.percent} %
				</progress>
			</label>
			{r.halted_reason ? (
				<div class="notice warn" role="alert">
					<p>
						<strong>Halted by the crash guard:</strong> {r.halted_reason}
					</p>
				</div>
			) : null}
			<Facts
				items={[
					["Crash guard", guard ? `crash rate over ${rate(guard.max_crash_rate)}` : "off"],
					["Failure limit", guard?.max_failure_rate != null ? rate(guard.max_failure_rate) : "—"],
					["Judged from", guard ? `${guard.min_devices} devices running it` : "—"],
					[
						"Steps",
						r.steps?.length
							? r.steps.map((s) => `${s.percent} % after ${s.after_minutes} min`).join(", ")
							: "manual",
					],
					["Started", time(r.created_at)],
					["Changed", time(r.updated_at)],
				]}
			/>
			<div class="controls">
				<form
					class="inline-form"
					onSubmit={(event: Event) => {
						event.preventDefault();
						const data = new FormData(event.currentTarget as HTMLFormElement);
						void act.run(() => api.setRolloutPercent(code, Number(data.get("percent"))));
					}}
				>
					<label>
						Percentage
						<input
							name="percent"
							type="number"
							min={0}
							max={100}
							step={1}
							required
							value={String(r.percent)}
						/>
					</label>
					<button type="submit" disabled={act.pending}>
						Set percentage
					</button>
				</form>
				<div class="buttons">
					{r.state === "active" ? (
						<button
							type="button"
							disabled={act.pending}
							onClick={() => act.run(() => api.rolloutAction(code, "pause"))}
						>
							Pause
						</button>
					) : (
						<button
							type="button"
							disabled={act.pending}
							onClick={() => act.run(() => api.rolloutAction(code, "resume"))}
						>
							Resume
						</button>
					)}
					<ConfirmButton
						label="Complete"
						disabled={act.pending}
						question={`Make ${r.version} current for every device of ${code}?`}
						onConfirm={() => act.run(() => api.rolloutAction(code, "complete"))}
					/>
					<ConfirmButton
						label="Abort"
						danger
						disabled={act.pending}
						question={`Abort the rollout of ${r.version}? Every device returns to ${r.baseline_version ?? "the baseline"}.`}
						confirmLabel="Abort rollout"
						onConfirm={() => act.run(() => api.rolloutAction(code, "abort"))}
					/>
				</div>
			</div>
			{act.error ? <ErrorNotice context="Rollout change" error={act.error} /> : null}
		</div>
	);
}

function RolloutHistory(props: { rollouts: Rollout[] }) {
	return (
		<details class="history">
			<summary>Earlier rollouts ({props.rollouts.length})</summary>
			<table class="stack">
				<thead>
					<tr>
						<th scope="col">Version</th>
						<th scope="col">From</th>
						<th scope="col">State</th>
						<th scope="col">Reached</th>
						<th scope="col">Started</th>
						<th scope="col">Ended</th>
					</tr>
				</thead>
				<tbody>
					{props.rollouts.map((r) => (
						<tr>
							<th scope="row" data-label="Version">
								<code>{r.version}</code>
							</th>
							<td data-label="From">{r.baseline_version ?? "—"}</td>
							<td data-label="State">
								<RolloutState state={r.state} />
								{r.halted_reason ? <span class="muted"> {r.halted_reason}</span> : null}
							</td>
							<td data-label="Reached">{r.percent} %</td>
							<td data-label="Started">{time(r.created_at)}</td>
							<td data-label="Ended">{time(r.updated_at)}</td>
						</tr>
					))}
				</tbody>
			</table>
		</details>
	);
}
