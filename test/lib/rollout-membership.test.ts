import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	BUCKETS,
	bucketSql,
	bucketThreshold,
	deviceBucket,
	isMember,
	membershipHash,
} from "../../src/lib/rollout-membership";
import { sequentialKeys, simulatedKeys } from "../rollouts/fleet-keys";

const ROLLOUT_IDS = [
	"0123456789abcdef",
	"fedcba9876543210",
	"00000000000000a1",
	"7f3e9c0d1b2a4e5f",
];
const PERCENTS = [1, 5, 10, 25, 50, 75, 90, 99];

const share = (keys: string[], id: string, percent: number) =>
	keys.filter((k) => isMember(membershipHash(id), k, percent)).length / keys.length;

describe("rollout membership over 1 000 simulated devices", () => {
	for (const [name, keys] of [
		["random keys", simulatedKeys(1000, 7)],
		["sequential keys", sequentialKeys(1000)],
	] as const) {
		it(`reaches a share within 4 points of the percentage (${name})`, () => {
			for (const id of ROLLOUT_IDS) {
				for (const percent of PERCENTS) {
					const got = share([...keys], id, percent) * 100;
					expect(Math.abs(got - percent), `${id} at ${percent} %: ${got} %`).toBeLessThan(4);
				}
			}
		});
	}

	it("only adds devices as the percentage rises, and reaches none at 0 and all at 100", () => {
		const keys = simulatedKeys(1000, 11);
		for (const id of ROLLOUT_IDS) {
			const hash = membershipHash(id);
			let previous = new Set<string>();
			for (const percent of [0, 0.5, 1, 2, 5, 10, 20, 33.3, 50, 80, 99.99, 100]) {
				const members = new Set(keys.filter((k) => isMember(hash, k, percent)));
				for (const k of previous) expect(members.has(k), `${k} left at ${percent} %`).toBe(true);
				if (percent === 0) expect(members.size).toBe(0);
				if (percent === 100) expect(members.size).toBe(keys.length);
				previous = members;
			}
		}
	});

	it("is stable: the same device and rollout always land in the same bucket", () => {
		const keys = simulatedKeys(200, 3);
		const first = keys.map((k) => deviceBucket(membershipHash(ROLLOUT_IDS[0] ?? ""), k));
		const again = keys.map((k) => deviceBucket(membershipHash(ROLLOUT_IDS[0] ?? ""), k));
		expect(again).toEqual(first);
		for (const b of first) expect(b >= 0 && b < BUCKETS).toBe(true);
	});

	it("draws other devices for another rollout of the same fleet", () => {
		const keys = simulatedKeys(1000, 5);
		const [a, b] = ROLLOUT_IDS;
		const inA = new Set(keys.filter((k) => isMember(membershipHash(a ?? ""), k, 10)));
		const both = keys.filter((k) => inA.has(k) && isMember(membershipHash(b ?? ""), k, 10));
		// Independent 10 % draws share about 1 % of the fleet, not the same 10 %.
		expect(both.length).toBeLessThan(40);
	});

	it("turns percentages into buckets of a hundredth of a percent", () => {
		expect(bucketThreshold(0)).toBe(0);
		expect(bucketThreshold(12.5)).toBe(1250);
		expect(bucketThreshold(0.01)).toBe(1);
		expect(bucketThreshold(100)).toBe(10_000);
	});
});

describe("the SQL form of the bucket", () => {
	it("gives D1 the same bucket as the Worker for every device", async () => {
		const keys = [...simulatedKeys(500, 21), ...sequentialKeys(100, "z")];
		for (const id of ROLLOUT_IDS) {
			const hash = membershipHash(id);
			const { results } = await env.DB.prepare(
				`SELECT value AS key, ${bucketSql(hash, "value")} AS bucket FROM json_each(?1)`,
			)
				.bind(JSON.stringify(keys))
				.all<{ key: string; bucket: number }>();
			expect(results.map((r) => r.bucket)).toEqual(keys.map((k) => deviceBucket(hash, k)));
		}
	});
});
