import type { CoredumpAnalysis, CoredumpDetail } from "../api/types";
import { Link } from "../router";
import { Backtrace } from "../ui/backtrace";
import { Facts, Section } from "../ui/page";

/** The rest of an analysis, folded: the dump's facts, every task, the registers. */
export function DumpDetails(props: { dump: CoredumpDetail; analysis: CoredumpAnalysis | null }) {
	const { dump: d, analysis: a } = props;
	if (!a) return null;
	const others = a.tasks.slice(1);
	return (
		<Section id="details" title="Details">
			<Facts
				items={[
					["Chip", `${a.chip ?? d.chip}${a.chip_rev !== null ? ` rev ${a.chip_rev}` : ""}`],
					["Firmware", a.firmware_version ?? d.firmware_version],
					["ELF matched by", a.matched_by ?? "not matched"],
					["ELF SHA-256 prefix", a.elf_sha256_prefix ?? "—"],
					["Format", a.format ? `${a.format} ${a.dump_version ?? ""}`.trim() : "—"],
					["Checksum", a.checksum ?? "—"],
					[
						"Crash group",
						a.signature ? (
							<Link href={`/models/${d.model_code}/crashes/${encodeURIComponent(a.signature)}`}>
								<code class="wrap">{a.signature}</code>
							</Link>
						) : (
							"—"
						),
					],
					["Decoded", a.decoded_at ?? "—"],
				]}
			/>
			{a.exception?.arch === "xtensa" && a.exception.epc.length > 0 ? (
				<p class="muted">
					EPC1–{a.exception.epc.length}: <code>{a.exception.epc.join(" ")}</code>
				</p>
			) : null}
			{others.length > 0 ? (
				<details>
					<summary>Other tasks ({others.length})</summary>
					{others.map((t) => (
						<div class="task">
							<h3>
								{t.name} <span class="muted">priority {t.priority ?? "?"}</span>
							</h3>
							{t.stack ? (
								<p class="muted">
									Stack {t.stack.used} bytes used, {t.stack.free} free.
								</p>
							) : null}
							<Backtrace frames={t.backtrace} label={`Backtrace of ${t.name}`} />
						</div>
					))}
				</details>
			) : null}
			{a.registers ? (
				<details>
					<summary>Registers</summary>
					<dl class="registers">
						{Object.entries(a.registers).map(([name, value]) => (
							<div>
								<dt>{name}</dt>
								<dd>
									<code>{value}</code>
								</dd>
							</div>
						))}
					</dl>
				</details>
			) : null}
		</Section>
	);
}
