import type { DeviceModel } from "../db/device-models";
import * as models from "../db/device-models";
import { nowIso } from "../db/time";
import { Conflict, NotFound } from "../errors";
import { modelCoredumpPrefix, modelFirmwarePrefix, modelStagingPrefix } from "../storage/keys";
import { deletePrefix } from "../storage/objects";

/** Every device model, ordered by code. */
export function listDeviceModels(db: D1Database): Promise<DeviceModel[]> {
	return models.listModels(db);
}

export async function getModelOrThrow(db: D1Database, code: string): Promise<DeviceModel> {
	const model = await models.getModel(db, code);
	if (!model) throw modelNotFound(code);
	return model;
}

export function modelNotFound(code: string): NotFound {
	return new NotFound("MODEL_NOT_FOUND", `No device model has the code '${code}'.`, { code });
}

export async function createModel(
	db: D1Database,
	input: { code: string; name: string; chip?: string | null },
): Promise<DeviceModel> {
	const created = await models.insertModel(db, {
		code: input.code,
		name: input.name,
		chip: input.chip ?? null,
		now: nowIso(),
	});
	if (!created) {
		throw new Conflict("MODEL_EXISTS", `A device model with the code '${input.code}' exists.`, {
			code: input.code,
		});
	}
	return getModelOrThrow(db, input.code);
}

export async function patchModel(
	db: D1Database,
	code: string,
	patch: { name?: string; chip?: string | null },
): Promise<DeviceModel> {
	if (!(await models.updateModel(db, code, { ...patch, now: nowIso() }))) {
		throw modelNotFound(code);
	}
	return getModelOrThrow(db, code);
}

/**
 * Deletes a model without devices: D1 first (its versions go by cascade), then every object
 * stored under the model's prefixes, so nothing of it is left in R2 — including the objects
 * of an upload that raced the delete (that upload's own D1 batch then fails and it cleans up).
 */
export async function deleteModel(env: { DB: D1Database; BLOBS: R2Bucket }, code: string) {
	const outcome = await models.deleteModelIfNoDevices(env.DB, code);
	if (outcome === "has_devices") {
		throw new Conflict(
			"MODEL_HAS_DEVICES",
			`The device model '${code}' still has devices; delete them first.`,
			{ code },
		);
	}
	// Also when the model is already gone: the retry of a delete whose object removal failed
	// after D1 committed finishes the job (and still answers 404).
	for (const prefix of [
		modelFirmwarePrefix(code),
		modelStagingPrefix(code),
		modelCoredumpPrefix(code),
	]) {
		await deletePrefix(env.BLOBS, prefix);
	}
	if (outcome === "missing") throw modelNotFound(code);
}
