/** How values read on a page: sizes, times, percentages. */

export function bytes(n: number | null | undefined): string {
	if (n === null || n === undefined) return "—";
	if (n < 1024) return `${n} B`;
	const units = ["KiB", "MiB", "GiB"];
	let value = n / 1024;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `2026-10-01 12:03` in the operator's time zone; the exact ISO time is in the title. */
export function time(iso: string | null | undefined): string {
	if (!iso) return "—";
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	const pad = (n: number) => String(n).padStart(2, "0");
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
	if (!iso) return "never";
	const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
	if (!Number.isFinite(seconds)) return iso;
	if (seconds < 60) return "just now";
	const minutes = Math.round(seconds / 60);
	if (minutes < 60) return `${minutes} min ago`;
	const hours = Math.round(minutes / 60);
	if (hours < 48) return `${hours} h ago`;
	return `${Math.round(hours / 24)} days ago`;
}

/** A share the API gives as a fraction of 1 (0.05), shown as `5 %`. */
export function rate(value: number | null | undefined): string {
	if (value === null || value === undefined) return "—";
	return `${Number((value * 100).toFixed(2))} %`;
}

export const shortSha = (sha: string | null | undefined) => (sha ? sha.slice(0, 12) : "—");

/** `by_version` → `By version`. */
export function label(key: string): string {
	const words = key.replace(/_/g, " ").trim();
	return words.charAt(0).toUpperCase() + words.slice(1);
}
