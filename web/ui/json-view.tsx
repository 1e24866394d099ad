import { label } from "./format";

/**
 * Shows a JSON answer whose keys the console does not know in advance: lists of records as
 * tables, records of figures as definition lists, figures as they are.
 */
export function JsonView(props: { data: unknown; name?: string }) {
	const { data } = props;
	if (Array.isArray(data)) return <RecordsTable rows={data} caption={props.name} />;
	if (data && typeof data === "object") {
		const entries = Object.entries(data as Record<string, unknown>);
		const scalars = entries.filter(([, v]) => !isStructured(v));
		const nested = entries.filter(([, v]) => isStructured(v));
		return (
			<div class="json-view">
				{scalars.length > 0 ? (
					<dl class="facts">
						{scalars.map(([k, v]) => (
							<div>
								<dt>{label(k)}</dt>
								<dd>{scalar(v)}</dd>
							</div>
						))}
					</dl>
				) : null}
				{nested.map(([k, v]) => (
					<section class="data-part">
						<h4>{label(k)}</h4>
						<JsonView data={v} name={label(k)} />
					</section>
				))}
			</div>
		);
	}
	return <p>{scalar(data)}</p>;
}

const isStructured = (v: unknown) => v !== null && typeof v === "object";

function scalar(v: unknown): string {
	if (v === null || v === undefined) return "—";
	if (typeof v === "object") return JSON.stringify(v);
	return String(v);
}

function RecordsTable(props: { rows: unknown[]; caption?: string }) {
	if (props.rows.length === 0) return <p class="empty">None.</p>;
	const rows = props.rows.map((r) => (r && typeof r === "object" ? r : { value: r })) as Record<
		string,
		unknown
	>[];
	const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
	return (
		<table class="stack">
			{props.caption ? <caption class="visually-hidden">{props.caption}</caption> : null}
			<thead>
				<tr>
					{columns.map((c) => (
						<th scope="col">{label(c)}</th>
					))}
				</tr>
			</thead>
			<tbody>
				{rows.map((r) => (
					<tr>
						{columns.map((c) => (
							<td data-label={label(c)}>{scalar(r[c])}</td>
						))}
					</tr>
				))}
			</tbody>
		</table>
	);
}
