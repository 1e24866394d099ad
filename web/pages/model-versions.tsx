import { api } from "../api/endpoints";
import type { FirmwareVersion } from "../api/types";
import { ConfirmButton } from "../ui/confirm";
import { bytes, shortSha, time } from "../ui/format";
import { Empty, ErrorNotice, Loading } from "../ui/notice";
import { Badge, Section } from "../ui/page";
import { type Async, useAction } from "../ui/use-async";

/** The versions stored for a model, newest first: download, make current, delete. */
export function ModelVersions(props: {
	code: string;
	versions: Async<FirmwareVersion[]>;
	onChanged: () => Promise<void>;
}) {
	const { code, versions } = props;
	const act = useAction((run: () => Promise<unknown>) => run(), props.onChanged);
	const download = useAction((run: () => Promise<unknown>) => run());
	return (
		<Section id="versions" title="Versions">
			{versions.status === "loading" ? <Loading what="versions" /> : null}
			{versions.status === "error" ? <ErrorNotice error={versions.error} /> : null}
			{act.error ? <ErrorNotice context="Version change" error={act.error} /> : null}
			{download.error ? <ErrorNotice context="Download" error={download.error} /> : null}
			{versions.status === "done" && versions.data.length === 0 ? (
				<Empty>
					No firmware yet. CI uploads with{" "}
					<code>curl … /api/pipeline/upload.sh | sh -s -- {code}</code>.
				</Empty>
			) : null}
			{versions.status === "done" && versions.data.length > 0 ? (
				<table class="stack versions">
					<thead>
						<tr>
							<th scope="col">Version</th>
							<th scope="col">Uploaded</th>
							<th scope="col">Size</th>
							<th scope="col">Build</th>
							<th scope="col">
								<span class="visually-hidden">Actions</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{versions.data.map((v) => (
							<tr class={v.current ? "current" : undefined}>
								<th scope="row" data-label="Version">
									<code>{v.version}</code> {v.current ? <Badge tone="ok">current</Badge> : null}
								</th>
								<td data-label="Uploaded">{time(v.uploaded_at)}</td>
								<td data-label="Size">
									{bytes(v.size)} {v.format === "zip" ? <Badge tone="info">bundle</Badge> : null}
								</td>
								<td data-label="Build">
									<span class="muted">
										{v.idf_version} · {v.chip} ·{" "}
										{v.git_commit ? shortSha(v.git_commit) : "no commit"}
									</span>
								</td>
								<td class="row-actions" data-label="Actions">
									<button
										type="button"
										disabled={download.pending}
										onClick={() => download.run(() => api.downloadImage(code, v.version))}
										aria-label={`Download the app image of ${v.version}`}
									>
										.bin
									</button>
									{v.format === "zip" ? (
										<button
											type="button"
											disabled={download.pending}
											onClick={() => download.run(() => api.downloadBundle(code, v.version))}
											aria-label={`Download the bundle of ${v.version}`}
										>
											.zip
										</button>
									) : null}
									{v.current ? null : (
										<>
											<ConfirmButton
												label="Activate"
												disabled={act.pending}
												question={`Make ${v.version} the current version of ${code}? Every device not pinned or in a rollout is offered it now.`}
												onConfirm={() => act.run(() => api.activateVersion(code, v.version))}
											/>
											<ConfirmButton
												label="Delete"
												danger
												disabled={act.pending}
												question={`Delete ${v.version} of ${code}, its image and bundle?`}
												onConfirm={() => act.run(() => api.deleteVersion(code, v.version))}
											/>
										</>
									)}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			) : null}
		</Section>
	);
}
