/// <reference types="vite/client" />
import type { Env as AppEnv } from "../src/env";

declare global {
	namespace Cloudflare {
		interface GlobalProps {
			mainModule: typeof import("../src/index");
		}
		interface Env extends AppEnv {
			/** Test-only: the private JWK the test suite signs tokens with. */
			TEST_SIGNING_JWK?: string;
			/** Test-only: the D1 migrations the setup file applies. */
			TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
		}
	}
}
