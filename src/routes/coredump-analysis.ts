import { z } from "@hono/zod-openapi";
import { errorResponses, jsonContent } from "../schemas/common";
import { AnalysisRequested } from "../schemas/coredump-analysis";
import { CoredumpParams } from "../schemas/coredumps";
import { requestCoredumpAnalysis } from "../services/analysis-requests";
import { coredumpBundle, coredumpReport } from "../services/coredump-analyses";
import { crashDecoder } from "../services/crash-decoder";
import { adminRoutes } from "./admin-route";
import { createRouter } from "./router";

const route = adminRoutes(["Core dumps (admin)"]);
const base = "/api/devices/{key}/coredumps/{id}";

export const coredumpAnalysisRoutes = createRouter()
	.openapi(
		route("reanalyze_coredump", {
			method: "post",
			path: `${base}/analyze`,
			summary: "Analyse a core dump again (e.g. after its ELF was uploaded)",
			request: { params: CoredumpParams },
			responses: {
				202: jsonContent(
					AnalysisRequested,
					"Queued; the dump keeps its analysis until the new one is stored",
				),
				...errorResponses(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			return c.json(await requestCoredumpAnalysis(c.env, key, id), 202);
		},
	)
	.openapi(
		route("get_coredump_report", {
			method: "get",
			path: `${base}/report`,
			summary: "The analysis as text, laid out like esp-coredump info_corefile",
			request: { params: CoredumpParams },
			responses: {
				200: {
					description: "The report",
					content: { "text/plain": { schema: z.string() } },
				},
				...errorResponses(400, 401, 403, 404, 409),
			},
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			const text = await coredumpReport(c.env, key, id, crashDecoder);
			c.header("cache-control", "private, no-store");
			return c.text(text, 200);
		},
	)
	.openapi(
		route("download_coredump_bundle", {
			method: "get",
			path: `${base}/bundle`,
			summary: "A ZIP of the dump, report.txt, analysis.json and the matched ELF, for gdb",
			request: { params: CoredumpParams },
			responses: {
				200: {
					description: "The ZIP, streamed as it is made",
					content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } },
				},
				...errorResponses(400, 401, 403, 404, 409),
			},
		}),
		async (c) => {
			const { key, id } = c.req.valid("param");
			const bundle = await coredumpBundle(c.env, key, id, crashDecoder);
			return c.body(bundle.body, 200, {
				"content-type": "application/zip",
				"content-disposition": `attachment; filename="${bundle.filename}"`,
				"cache-control": "private, no-store",
			});
		},
	);
