import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testKeys } from "./test/helpers/keys-node.ts";

const migrations = await readD1Migrations("migrations");
const keys = await testKeys();

export default defineConfig({
	test: {
		// Keep the per-request log lines of passing tests out of the output.
		silent: "passed-only",
		projects: [
			{
				plugins: [
					cloudflareTest({
						wrangler: { configPath: "./wrangler.toml" },
						miniflare: {
							bindings: {
								TEST_MIGRATIONS: migrations,
								TEST_SIGNING_JWK: JSON.stringify(keys.privateJwk),
								OIDC_ISSUER: "https://id.test.example",
								OIDC_AUDIENCE: "ota-edge",
								OIDC_JWKS: JSON.stringify({ keys: [keys.publicJwk] }),
								// Crash analysis: the queue's retries follow one another without waiting.
								COREDUMP_ANALYSIS_RETRY_SECONDS: "0",
							},
						},
					}),
				],
				test: {
					name: "worker",
					include: ["test/**/*.test.ts"],
					exclude: ["test/e2e/**"],
					setupFiles: ["./test/helpers/apply-migrations.ts"],
					globalSetup: ["./test/helpers/mosquitto-setup.ts"],
					// A guard against hangs, not a measure: tests that analyse dozens of dumps take
					// seconds on a busy 2-core machine, and vitest's 5 s default fails them there.
					testTimeout: 30_000,
				},
			},
			{
				test: {
					name: "e2e",
					include: ["test/e2e/**/*.test.ts"],
					environment: "node",
					globalSetup: ["./test/e2e/global-setup.ts", "./test/e2e/console/global-setup.ts"],
					testTimeout: 60_000,
					hookTimeout: 120_000,
				},
			},
		],
	},
});
