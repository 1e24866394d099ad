import { useState } from "hono/jsx/dom";
import { api } from "../api/endpoints";
import type { CoredumpAnalysis, CoredumpDetail } from "../api/types";
import { Link } from "../router";
import { Backtrace } from "../ui/backtrace";
import { bytes, time } from "../ui/format";
import { ErrorNotice, Loading } from "../ui/notice";
import { Facts, PageHeading, Section } from "../ui/page";
import { useAction, useAsync } from "../ui/use-async";
import { DumpDetails } from "./dump-details";
import { AnalysisStatusBadge, STATUS_TEXT } from "./dump-status";

/** One core dump: its decoded backtrace first, then what else the analysis and the bytes hold. */
export function DumpPage(props: { deviceKey: string; id: string }) {
	const { deviceKey, id } = props;
	const dump = useAsync(() => api.getCoredump(deviceKey, id), [deviceKey, id]);
	const d = dump.status === "done" ? dump.data : null;
	const a = d?.analysis ?? null;
	return (
		<>
			<nav class="crumbs" aria-label="Breadcrumb">
				<Link href="/devices">Devices</Link>
				<Link href={`/devices/${deviceKey}`}>{deviceKey}</Link>
			</nav>
			<PageHeading
				title={a?.panic_reason ?? a?.exception?.name ?? "Core dump"}
				sub={
					d ? `${d.filename} · ${d.model_code} ${d.firmware_version} · ${time(d.uploaded_at)}` : id
				}
			/>
			{dump.status === "loading" ? <Loading what="the core dump" /> : null}
			{dump.status === "error" ? <ErrorNotice error={dump.error} /> : null}
			{d ? <DumpBody dump={d} analysis={a} reload={dump.reload} /> : null}
		</>
	);
}

function DumpBody(props: {
	dump: CoredumpDetail;
	analysis: CoredumpAnalysis | null;
	reload: () => Promise<void>;
}) {
	const { dump: d, analysis: a } = props;
	const files = useAction((run: () => Promise<unknown>) => run());
	const analyze = useAction(() => api.analyzeCoredump(d.device_key, d.id), props.reload);
	const crashed = a?.tasks[0];
	return (
		<>
			<div class="status-line">
				<AnalysisStatusBadge status={a?.status ?? d.status} />{" "}
				{a ? (
					<span>
						{STATUS_TEXT[a.status]}
						{a.error_code ? <code> {a.error_code}</code> : null}
					</span>
				) : (
					<span>The server returned no analysis for this dump.</span>
				)}
			</div>
			<Section
				id="backtrace"
				title={a?.crashed_task ? `Backtrace of ${a.crashed_task.name}` : "Backtrace"}
			>
				{a?.exception ? (
					<p class="exception">
						<strong>{a.exception.name}</strong> (cause {a.exception.cause}) at{" "}
						<code>{a.exception.address}</code>
						{a.in_isr ? " · in an interrupt" : ""}
					</p>
				) : null}
				{a ? <Backtrace frames={a.backtrace} label="Backtrace of the crashed task" /> : null}
				{!a || a.backtrace.length === 0 ? <p class="empty">No backtrace to show.</p> : null}
				{crashed?.stack ? (
					<p class="muted">
						Stack {crashed.stack.start}–{crashed.stack.end}: {crashed.stack.used} bytes used,{" "}
						{crashed.stack.free} free.
					</p>
				) : null}
			</Section>
			<div class="buttons">
				<button
					type="button"
					class="primary"
					disabled={files.pending}
					onClick={() => files.run(() => api.downloadCoredumpBundle(d.device_key, d.id))}
				>
					Download bundle for gdb
				</button>
				<button
					type="button"
					disabled={files.pending}
					onClick={() => files.run(() => api.downloadCoredump(d.device_key, d.id))}
				>
					Download raw dump ({bytes(d.size)})
				</button>
				<button type="button" disabled={analyze.pending} onClick={() => analyze.run()}>
					{analyze.pending ? "Analysing…" : "Analyse again"}
				</button>
			</div>
			{files.error ? <ErrorNotice context="Download" error={files.error} /> : null}
			{analyze.error ? <ErrorNotice context="Analyse again" error={analyze.error} /> : null}
			<Report deviceKey={d.device_key} id={d.id} />
			<DumpDetails dump={d} analysis={a} />
			<Facts
				items={[
					["Device", <Link href={`/devices/${d.device_key}`}>{d.device_key}</Link>],
					["Model", <Link href={`/models/${d.model_code}`}>{d.model_code}</Link>],
					["SHA-256", <code class="wrap">{d.sha256}</code>],
				]}
			/>
		</>
	);
}

/** The text report (like `esp-coredump info_corefile`), fetched when asked for. */
function Report(props: { deviceKey: string; id: string }) {
	const [text, setText] = useState<string | null>(null);
	const load = useAction(async () => setText(await api.coredumpReport(props.deviceKey, props.id)));
	return (
		<Section id="report" title="Report">
			{text === null ? (
				<button type="button" disabled={load.pending} onClick={() => load.run()}>
					{load.pending ? "Loading…" : "Show the report"}
				</button>
			) : (
				<pre class="report" tabindex={0}>
					{text}
				</pre>
			)}
			{load.error ? <ErrorNotice context="Report" error={load.error} /> : null}
		</Section>
	);
}
