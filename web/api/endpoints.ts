/**
 * Every API call the console makes, typed. Paths and shapes live here and nowhere else.
 */
import { download, enc, requestJson, requestText } from "./client";
import type {
	Coredump,
	CoredumpDetail,
	CrashGroup,
	CrashGroupDetail,
	Device,
	DeviceModel,
	DeviceTargeting,
	FirmwareVersion,
	Fleet,
	NewRollout,
	Rollout,
	RolloutAction,
} from "./types";

const model = (code: string) => `/api/device-models/${enc(code)}`;
const device = (key: string) => `/api/devices/${enc(key)}`;
const dump = (key: string, id: string) => `${device(key)}/coredumps/${enc(id)}`;

export const api = {
	// Device models
	listModels: async () =>
		(await requestJson<{ device_models: DeviceModel[] }>("GET", "/api/device-models"))
			.device_models,
	getModel: (code: string) => requestJson<DeviceModel>("GET", model(code)),
	createModel: (input: { code: string; name: string; chip: string | null }) =>
		requestJson<DeviceModel>("POST", "/api/device-models", input),
	deleteModel: (code: string) => requestJson<void>("DELETE", model(code)),

	// Firmware versions
	listVersions: async (code: string) =>
		(await requestJson<{ versions: FirmwareVersion[] }>("GET", `${model(code)}/firmware/versions`))
			.versions,
	activateVersion: (code: string, version: string) =>
		requestJson<DeviceModel>("POST", `${model(code)}/firmware/versions/${enc(version)}/activate`),
	deleteVersion: (code: string, version: string) =>
		requestJson<void>("DELETE", `${model(code)}/firmware/versions/${enc(version)}`),
	downloadImage: (code: string, version: string) =>
		download(`${model(code)}/firmware/versions/${enc(version)}/bin`, `${code}-${version}.bin`),
	downloadBundle: (code: string, version: string) =>
		download(`${model(code)}/firmware/versions/${enc(version)}/zip`, `${code}-${version}.zip`),

	// Rollouts (SPEC §13)
	listRollouts: async (code: string) =>
		(await requestJson<{ rollouts: Rollout[] }>("GET", `${model(code)}/rollouts`)).rollouts,
	startRollout: (code: string, input: NewRollout) =>
		requestJson<Rollout>("POST", `${model(code)}/rollouts`, input),
	setRolloutPercent: (code: string, percent: number) =>
		requestJson<Rollout>("PATCH", `${model(code)}/rollouts/current`, { percent }),
	rolloutAction: (code: string, action: RolloutAction) =>
		requestJson<Rollout>("POST", `${model(code)}/rollouts/current/${action}`),

	// Fleet (SPEC §13)
	fleet: (code: string) => requestJson<Fleet>("GET", `${model(code)}/fleet`),

	// Crash groups (SPEC §11)
	listCrashGroups: async (code: string, filter: { firmware_version?: string } = {}) => {
		const query = new URLSearchParams(filter).toString();
		const path = `${model(code)}/crashes${query ? `?${query}` : ""}`;
		return (await requestJson<{ crashes: CrashGroup[] }>("GET", path)).crashes;
	},
	getCrashGroup: async (code: string, signature: string) => {
		const group = await requestJson<CrashGroupDetail & { recent_coredumps?: Coredump[] }>(
			"GET",
			`${model(code)}/crashes/${enc(signature)}`,
		);
		return { ...group, coredumps: group.coredumps ?? group.recent_coredumps ?? [] };
	},

	// Devices
	listDevices: async (modelCode?: string) => {
		const query = modelCode ? `?model=${enc(modelCode)}` : "";
		return (await requestJson<{ devices: Device[] }>("GET", `/api/devices${query}`)).devices;
	},
	getDevice: (key: string) => requestJson<Device>("GET", device(key)),
	createDevice: (input: { model_code: string; name: string | null }) =>
		requestJson<Device>("POST", "/api/devices", input),
	updateDevice: (
		key: string,
		patch: { name?: string | null; active?: boolean } & Partial<
			Pick<DeviceTargeting, "pinned_version">
		>,
	) => requestJson<Device>("PATCH", device(key), patch),
	deleteDevice: (key: string) => requestJson<void>("DELETE", device(key)),

	// Core dumps (SPEC §7, §10)
	listCoredumps: async (key: string) =>
		(await requestJson<{ coredumps: Coredump[] }>("GET", `${device(key)}/coredumps`)).coredumps,
	getCoredump: (key: string, id: string) => requestJson<CoredumpDetail>("GET", dump(key, id)),
	analyzeCoredump: (key: string, id: string) =>
		requestJson<unknown>("POST", `${dump(key, id)}/analyze`),
	coredumpReport: (key: string, id: string) => requestText(`${dump(key, id)}/report`),
	downloadCoredump: (key: string, id: string) =>
		download(`${dump(key, id)}/download`, `coredump-${id}.dmp`),
	downloadCoredumpBundle: (key: string, id: string) =>
		download(`${dump(key, id)}/bundle`, `coredump-${id}.zip`),
	deleteCoredump: (key: string, id: string) => requestJson<void>("DELETE", dump(key, id)),
};
