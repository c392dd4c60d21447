import { KEYGATE } from '../../src/modules';

/**
 * keygate's permission model as the tests use it: derived from the modules' manifests, like
 * everything else, so no test lists resources or scopes by hand.
 */
export const ACCESS = KEYGATE.access;
export const ALL_PERMISSIONS = ACCESS.ALL;
export const ALL_SCOPES = ACCESS.ALL_SCOPES;
export const RESOURCES = ACCESS.resources.map((r) => r.name);
export const ROLE_PERMISSIONS = ACCESS.roles;
export const { bit, maskFromScopes, maskFromJson, jsonFromMask, storedJsonFromMask, scopesOf, missingScopes, diffScopes, holds } = ACCESS;
