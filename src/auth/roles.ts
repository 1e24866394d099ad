import type { JWTPayload } from "jose";

/**
 * Roles = `realm_access.roles` ∪ `resource_access[<audience>].roles` ∪ top-level `roles`
 * (Keycloak's two places, and the flat claim most other providers use).
 */
export function rolesOf(payload: JWTPayload, audience: string): Set<string> {
	const roles = new Set<string>();
	const add = (value: unknown) => {
		if (!Array.isArray(value)) return;
		for (const role of value) if (typeof role === "string") roles.add(role);
	};
	add(objectAt(payload, "realm_access")?.roles);
	add(objectAt(objectAt(payload, "resource_access"), audience)?.roles);
	add(payload.roles);
	return roles;
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
	if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
	const inner = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
	return typeof inner === "object" && inner !== null && !Array.isArray(inner)
		? (inner as Record<string, unknown>)
		: undefined;
}

/** The OAuth client the token was issued to: `azp`, else `client_id`. */
export function clientIdOf(payload: JWTPayload): string | null {
	const azp = payload.azp ?? payload.client_id;
	return typeof azp === "string" ? azp : null;
}
