import type { Env } from "./env";
import { resendOverdueAnalyses } from "./services/analysis-requests";

/**
 * The Worker's Cron Trigger entry: each periodic service in turn, each on its own, so one
 * failing does not keep the others from running.
 */
export async function runScheduled(env: Env, scheduledTime: Date): Promise<void> {
	const jobs: [string, () => Promise<unknown>][] = [
		["resend overdue analyses", () => resendOverdueAnalyses(env, scheduledTime)],
	];
	for (const [name, job] of jobs) {
		try {
			const result = await job();
			console.log(JSON.stringify({ msg: "scheduled job done", job: name, result }));
		} catch (err) {
			console.error(JSON.stringify({ msg: "scheduled job failed", job: name, error: String(err) }));
		}
	}
}
