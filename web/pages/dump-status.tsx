import type { AnalysisSummary } from "../api/types";
import { Badge } from "../ui/page";

const TONE = { decoded: "ok", unsymbolized: "warn", pending: "info", failed: "bad" } as const;

export const STATUS_TEXT = {
	decoded: "Decoded against the firmware's ELF.",
	unsymbolized:
		"Decoded, but no ELF of this firmware is stored yet: addresses only. Upload the version as a bundle and it is decoded again.",
	pending: "Waiting to be decoded.",
	failed: "The dump could not be decoded.",
} as const;

export function AnalysisStatusBadge(props: { status: AnalysisSummary["status"] | undefined }) {
	if (!props.status) return <Badge>not analysed</Badge>;
	return <Badge tone={TONE[props.status] ?? "muted"}>{props.status}</Badge>;
}
