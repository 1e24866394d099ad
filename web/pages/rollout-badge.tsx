import type { Rollout } from "../api/types";
import { Badge } from "../ui/page";

const TONE = {
	active: "info",
	paused: "warn",
	halted: "bad",
	completed: "ok",
	aborted: "muted",
} as const;

/** `active · 1.2.0 at 25 %`, or `none` when no rollout is open. */
export function RolloutBadge(props: { rollout: Rollout | null }) {
	const r = props.rollout;
	if (!r) return <Badge>none</Badge>;
	return (
		<span>
			<Badge tone={TONE[r.state] ?? "muted"}>{r.state}</Badge> <code>{r.version}</code> at{" "}
			{r.percent} %
		</span>
	);
}

export function RolloutState(props: { state: Rollout["state"] }) {
	return <Badge tone={TONE[props.state] ?? "muted"}>{props.state}</Badge>;
}
