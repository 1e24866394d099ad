import { api } from "../api/endpoints";
import { Link, navigate } from "../router";
import { ConfirmButton } from "../ui/confirm";
import { time } from "../ui/format";
import { ErrorNotice, Loading } from "../ui/notice";
import { Badge, Facts, PageHeading } from "../ui/page";
import { useAction, useAsync } from "../ui/use-async";
import { ModelCrashes } from "./model-crashes";
import { ModelFleet } from "./model-fleet";
import { ModelRollout } from "./model-rollout";
import { ModelVersions } from "./model-versions";

/** One device model: its versions, rollout, fleet and crash groups, one section each. */
export function ModelPage(props: { code: string }) {
	const { code } = props;
	const model = useAsync(() => api.getModel(code), [code]);
	const versions = useAsync(() => api.listVersions(code), [code]);
	const remove = useAction(async () => {
		await api.deleteModel(code);
		navigate("/");
	});
	const changed = async () => {
		await Promise.all([model.reload(), versions.reload()]);
	};
	const m = model.status === "done" ? model.data : null;
	return (
		<>
			<nav class="crumbs" aria-label="Breadcrumb">
				<Link href="/">Models</Link>
			</nav>
			<PageHeading title={m?.name ?? code} sub={<code>{code}</code>} />
			{model.status === "loading" ? <Loading what="the model" /> : null}
			{model.status === "error" ? <ErrorNotice error={model.error} /> : null}
			{m ? (
				<div class="summary">
					<Facts
						items={[
							[
								"Current version",
								m.firmware_version ? <code>{m.firmware_version}</code> : <Badge>none</Badge>,
							],
							["Chip", m.chip ?? "any"],
							["Devices", <Link href={`/devices?model=${code}`}>{String(m.device_count)}</Link>],
							["Created", time(m.created_at)],
						]}
					/>
					<ConfirmButton
						label="Delete model"
						danger
						question={`Delete the model ${code} and every version stored for it? Its devices must be deleted first.`}
						onConfirm={() => remove.run()}
					/>
				</div>
			) : null}
			{remove.error ? <ErrorNotice context="Delete model" error={remove.error} /> : null}
			<nav class="jump" aria-label="On this page">
				<a href="#rollout">Rollout</a>
				<a href="#versions">Versions</a>
				<a href="#fleet">Fleet</a>
				<a href="#crashes">Crash groups</a>
			</nav>
			<ModelRollout code={code} versions={versions} onChanged={changed} />
			<ModelVersions code={code} versions={versions} onChanged={changed} />
			<ModelFleet code={code} />
			<ModelCrashes code={code} />
		</>
	);
}
