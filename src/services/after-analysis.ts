import type { AnalysisRow } from "../db/coredump-analysis";
import type { Env } from "../env";
import type { StoredCoredumpAnalysis } from "./analysis-shape";
import { evaluateCrashGuard } from "./crash-guard";
import { notifyNewCrashGroup } from "./crash-notifications";

/**
 * What follows a committed analysis. Everything here runs after D1 holds the analysis and its
 * group, never fails the analysis, and is the one place to hang more reactions on:
 * - the first dump of a new group announces it over MQTT (SPEC §11);
 * - the rollout crash guard (SPEC §13) is evaluated for the dump's firmware version, so a
 *   release whose devices crash halts as soon as their dumps are read.
 */
export async function afterAnalysis(
	env: Env,
	dump: AnalysisRow,
	analysis: StoredCoredumpAnalysis,
	newGroup: { signature: string; title: string } | null,
): Promise<void> {
	const version =
		analysis.matched_by !== null && analysis.firmware_version !== null
			? analysis.firmware_version
			: dump.firmware_version;
	if (newGroup) {
		await notifyNewCrashGroup(env, {
			modelCode: dump.model_code,
			signature: newGroup.signature,
			title: newGroup.title,
			firmwareVersion: version,
		});
	}
	try {
		await evaluateCrashGuard(env, dump.model_code, version);
	} catch (err) {
		// The scheduled run judges every guarded rollout again within a minute.
		console.error(JSON.stringify({ msg: "crash guard after analysis failed", error: String(err) }));
	}
}
