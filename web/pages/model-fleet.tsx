import { api } from "../api/endpoints";
import { JsonView } from "../ui/json-view";
import { ErrorNotice, Loading } from "../ui/notice";
import { Section } from "../ui/page";
import { useAsync } from "../ui/use-async";

/** What the fleet runs and reports (SPEC §13), as the API tells it. */
export function ModelFleet(props: { code: string }) {
	const fleet = useAsync(() => api.fleet(props.code), [props.code]);
	return (
		<Section
			id="fleet"
			title="Fleet"
			actions={
				<button type="button" onClick={() => fleet.reload()}>
					Refresh
				</button>
			}
		>
			{fleet.status === "loading" ? <Loading what="the fleet" /> : null}
			{fleet.status === "error" ? (
				<ErrorNotice context="The fleet could not be read" error={fleet.error} />
			) : null}
			{fleet.status === "done" ? <JsonView data={fleet.data} /> : null}
		</Section>
	);
}
