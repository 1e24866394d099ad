import { api } from "../api/endpoints";
import type { CrashGroupDetail } from "../api/types";
import { Link } from "../router";
import { ago, time } from "../ui/format";
import { Empty, ErrorNotice, Loading } from "../ui/notice";
import { Facts, PageHeading, Section } from "../ui/page";
import { useAsync } from "../ui/use-async";
import { AnalysisStatusBadge } from "./dump-status";

/** One crash group (SPEC §11): what crashes, where, on which versions and devices. */
export function CrashGroupPage(props: { code: string; signature: string }) {
	const { code, signature } = props;
	const group = useAsync(() => api.getCrashGroup(code, signature), [code, signature]);
	const g = group.status === "done" ? group.data : null;
	return (
		<>
			<nav class="crumbs" aria-label="Breadcrumb">
				<Link href="/">Models</Link>
				<Link href={`/models/${code}#crashes`}>{code}</Link>
			</nav>
			<PageHeading title={g?.title ?? "Crash group"} sub={<code class="wrap">{signature}</code>} />
			{group.status === "loading" ? <Loading what="the crash group" /> : null}
			{group.status === "error" ? <ErrorNotice error={group.error} /> : null}
			{g ? <GroupBody code={code} group={g} /> : null}
		</>
	);
}

function GroupBody(props: { code: string; group: CrashGroupDetail }) {
	const { code, group: g } = props;
	const devices = [...new Set(g.coredumps.map((d) => d.device_key))];
	return (
		<>
			<Facts
				items={[
					["Kind", g.exception ?? "—"],
					["Dumps", String(g.count)],
					["Devices", String(g.device_count)],
					["Versions", g.firmware_versions.join(", ") || "—"],
					["First seen", time(g.first_seen)],
					["Last seen", `${time(g.last_seen)} (${ago(g.last_seen)})`],
				]}
			/>
			<Section id="frames" title="Frames">
				<ol class="frames">
					{g.frames.map((name) => (
						<li>
							<code>{name}</code>
						</li>
					))}
				</ol>
				{g.latest_coredump ? (
					<p>
						<Link
							class="button primary"
							href={`/devices/${g.latest_coredump.device_key}/coredumps/${g.latest_coredump.id}`}
						>
							Open the latest dump
						</Link>
					</p>
				) : null}
			</Section>
			<Section id="devices" title="Devices">
				{devices.length === 0 ? <Empty>No dump of this group is still stored.</Empty> : null}
				<ul class="chips">
					{devices.map((key) => (
						<li>
							<Link href={`/devices/${key}`}>
								<code>{key}</code>
							</Link>
						</li>
					))}
				</ul>
			</Section>
			<Section id="dumps" title="Recent dumps">
				{g.coredumps.length === 0 ? <Empty>None stored.</Empty> : null}
				{g.coredumps.length > 0 ? (
					<table class="stack">
						<thead>
							<tr>
								<th scope="col">Uploaded</th>
								<th scope="col">Device</th>
								<th scope="col">Version</th>
								<th scope="col">Analysis</th>
							</tr>
						</thead>
						<tbody>
							{g.coredumps.map((d) => (
								<tr>
									<th scope="row" data-label="Uploaded">
										<Link href={`/devices/${d.device_key}/coredumps/${d.id}`}>
											{time(d.uploaded_at)}
										</Link>
									</th>
									<td data-label="Device">
										<code>{d.device_key}</code>
									</td>
									<td data-label="Version">
										<code>{d.firmware_version}</code>
									</td>
									<td data-label="Analysis">
										<AnalysisStatusBadge status={d.status} />
									</td>
								</tr>
							))}
						</tbody>
					</table>
				) : null}
			</Section>
			<p class="muted">
				Model <Link href={`/models/${code}`}>{code}</Link>
			</p>
		</>
	);
}
