import type { Frame } from "../api/types";

/**
 * A backtrace as gdb prints it, made to be read: one frame a line, the function first, then
 * `file:line` (the file name bold, its folder quiet), then the address. Frames in the app's
 * own code stand out; ROM frames and stack-scan guesses are marked and quieter.
 */
export function Backtrace(props: { frames: Frame[]; label: string }) {
	if (props.frames.length === 0) return <p class="empty">No frames.</p>;
	return (
		<ol class="backtrace" aria-label={props.label}>
			{props.frames.map((f, i) => (
				<li class={`frame ${f.kind}`}>
					<span class="index" aria-hidden="true">
						#{i}
					</span>
					<span class="fn">
						{f.function ?? "??"}
						{f.offset !== null && f.offset !== undefined ? (
							<span class="offset">+{f.offset}</span>
						) : null}
						{f.kind !== "app" ? <span class={`kind ${f.kind}`}>{f.kind}</span> : null}
					</span>
					<Location frame={f} />
					<code class="pc">{f.pc}</code>
				</li>
			))}
		</ol>
	);
}

function Location(props: { frame: Frame }) {
	const { file, line } = props.frame;
	if (!file) return <span class="where muted">no source line</span>;
	const cut = file.lastIndexOf("/");
	const dir = cut >= 0 ? file.slice(0, cut + 1) : "";
	const base = cut >= 0 ? file.slice(cut + 1) : file;
	return (
		<span class="where" title={`${file}:${line ?? "?"}`}>
			<span class="dir">{dir}</span>
			<strong>
				{base}:{line ?? "?"}
			</strong>
		</span>
	);
}
