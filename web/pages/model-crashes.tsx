import { api } from "../api/endpoints";
import type { CrashGroup } from "../api/types";
import { Link } from "../router";
import { ago } from "../ui/format";
import { Empty, ErrorNotice, Loading } from "../ui/notice";
import { Section } from "../ui/page";
import { useAsync } from "../ui/use-async";

/** The model's crash groups (SPEC §11), most recently seen first. */
export function ModelCrashes(props: { code: string }) {
	const groups = useAsync(() => api.listCrashGroups(props.code), [props.code]);
	return (
		<Section id="crashes" title="Crash groups">
			{groups.status === "loading" ? <Loading what="crash groups" /> : null}
			{groups.status === "error" ? (
				<ErrorNotice context="Crash groups could not be read" error={groups.error} />
			) : null}
			{groups.status === "done" && groups.data.length === 0 ? (
				<Empty>No crashes reported. </Empty>
			) : null}
			{groups.status === "done" && groups.data.length > 0 ? (
				<CrashTable code={props.code} groups={groups.data} />
			) : null}
		</Section>
	);
}

export function CrashTable(props: { code: string; groups: CrashGroup[] }) {
	return (
		<table class="stack crashes">
			<thead>
				<tr>
					<th scope="col">Crash</th>
					<th scope="col">Dumps</th>
					<th scope="col">Devices</th>
					<th scope="col">Versions</th>
					<th scope="col">Last seen</th>
				</tr>
			</thead>
			<tbody>
				{props.groups.map((g) => (
					<tr>
						<th scope="row" data-label="Crash">
							<Link href={`/models/${props.code}/crashes/${encodeURIComponent(g.signature)}`}>
								{g.title}
							</Link>
							{g.exception ? <span class="code">{g.exception}</span> : null}
						</th>
						<td data-label="Dumps">{g.count}</td>
						<td data-label="Devices">{g.device_count}</td>
						<td data-label="Versions">{g.firmware_versions.join(", ")}</td>
						<td data-label="Last seen">{ago(g.last_seen)}</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}
