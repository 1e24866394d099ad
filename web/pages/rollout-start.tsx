import { useState } from "hono/jsx/dom";
import { api } from "../api/endpoints";
import type { FirmwareVersion, NewRollout, RolloutStep } from "../api/types";
import { ErrorNotice } from "../ui/notice";
import { type Async, useAction } from "../ui/use-async";

/** `25@60, 50@120`: 25 % after 60 minutes, then 50 % after 120. Null when it does not parse. */
export function parseSteps(text: string): RolloutStep[] | null {
	const parts = text
		.split(/[,\s]+/)
		.map((p) => p.trim())
		.filter(Boolean);
	const steps: RolloutStep[] = [];
	for (const part of parts) {
		const m = /^(\d{1,3})%?@(\d{1,6})$/.exec(part);
		if (!m) return null;
		steps.push({ percent: Number(m[1]), after_minutes: Number(m[2]) });
	}
	return steps;
}

/** Starts a rollout of a stored, not current version (SPEC §13). */
export function RolloutStart(props: {
	code: string;
	versions: Async<FirmwareVersion[]>;
	onStarted: () => Promise<void>;
}) {
	const start = useAction(
		(input: NewRollout) => api.startRollout(props.code, input),
		props.onStarted,
	);
	const candidates =
		props.versions.status === "done" ? props.versions.data.filter((v) => !v.current) : [];
	const [invalid, setInvalid] = useState<string | null>(null);
	const submit = (event: Event) => {
		event.preventDefault();
		setInvalid(null);
		const data = new FormData(event.currentTarget as HTMLFormElement);
		const field = (name: string) => String(data.get(name) ?? "").trim();
		const input: NewRollout = { version: field("version"), percent: Number(field("percent")) };
		const crash = field("max_crash_rate");
		if (crash) {
			input.guard = {
				max_crash_rate: Number(crash) / 100,
				min_devices: Number(field("min_devices") || "0"),
			};
			const failure = field("max_failure_rate");
			if (failure) input.guard.max_failure_rate = Number(failure) / 100;
		}
		const stepsText = field("steps");
		if (stepsText) {
			const steps = parseSteps(stepsText);
			if (!steps) {
				setInvalid("Steps are written percent@minutes, e.g. 25@60, 50@120.");
				return;
			}
			input.steps = steps;
		}
		void start.run(input);
	};
	if (props.versions.status === "done" && candidates.length === 0) {
		return (
			<p class="muted">
				To start a rollout, stage a version first: upload it with <code>?activate=false</code>.
			</p>
		);
	}
	return (
		<form class="rollout-start" onSubmit={submit} aria-labelledby="rollout-start-title">
			<h3 id="rollout-start-title">Start a rollout</h3>
			<div class="grid">
				<label>
					Version
					<select name="version" required>
						{candidates.map((v) => (
							<option value={v.version}>{v.version}</option>
						))}
					</select>
				</label>
				<label>
					Start at (%)
					<input name="percent" type="number" min={0} max={100} step={1} value="10" required />
				</label>
				<label>
					<span>
						Halt above crash rate (%) <small>empty: no guard</small>
					</span>
					<input name="max_crash_rate" type="number" min={0} max={100} step="any" value="5" />
				</label>
				<label>
					Halt above failed updates (%)
					<input name="max_failure_rate" type="number" min={0} max={100} step="any" />
				</label>
				<label>
					Judge after (devices)
					<input name="min_devices" type="number" min={0} step={1} value="20" />
				</label>
				<label>
					<span>
						Steps <small id="steps-rule">percent@minutes, optional</small>
					</span>
					<input name="steps" placeholder="25@60, 50@120, 100@240" autocomplete="off" />
				</label>
			</div>
			<button type="submit" class="primary" disabled={start.pending}>
				{start.pending ? "Starting…" : "Start rollout"}
			</button>
			{invalid ? <ErrorNotice error={new Error(invalid)} /> : null}
			{start.error ? <ErrorNotice context="Start rollout" error={start.error} /> : null}
		</form>
	);
}
