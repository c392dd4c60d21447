import { defineOperations } from '../../core/module';
import { ApiKeyStatus, ApiKeyType } from '../../auth/api-key-states';
import { actingUserId, type Principal } from '../../auth/principal';
import type { AccessModel } from '../../kernel/access';
import { enforce, firstRefusal, needsScope, type BoundRules, type Refusal } from '../../kernel/capabilities';
import { BadUserInputError, ConflictError, ConflictRule, ForbiddenError, ForbiddenRule } from '../../kernel/errors';
import type { PermissionMask, PermissionsJson, Scope } from '../../kernel/permissions';

/** The input rules of the key lifecycle, each naming the input path it refuses. */
export const MAX_EXPIRES_IN_DAYS = 365;
export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 3600;
export const MAX_KEY_RATE_LIMIT = 100_000;
export const MAX_NAME_LENGTH = 100;
const MAX_REASON_LENGTH = 500;
export const DAY_MS = 24 * 3600 * 1000;

export function validateName(raw: string, field: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) {
    throw new BadUserInputError({ [field]: `name must be 1 to ${MAX_NAME_LENGTH} characters.` });
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new BadUserInputError({ [field]: 'name must not contain control characters.' });
  }
  return name;
}

export function validateReason(reason: string | null | undefined): string | null {
  const why = reason?.trim() || null;
  if (why && why.length > MAX_REASON_LENGTH) throw new BadUserInputError({ reason: `reason is at most ${MAX_REASON_LENGTH} characters.` });
  return why;
}

export function validateGracePeriod(gracePeriodSeconds: number | null | undefined): number {
  const grace = gracePeriodSeconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_PERIOD_SECONDS) {
    throw new BadUserInputError({ gracePeriodSeconds: `gracePeriodSeconds must be between 0 and ${MAX_GRACE_PERIOD_SECONDS} (7 days).` });
  }
  return grace;
}

/** undefined: unchanged; null: none (0 on update removes the per-key limit). */
export function validateRateLimit(value: number | null | undefined, field: string, zeroClears: boolean): number | null | undefined {
  if (value == null) return undefined;
  if (zeroClears && value === 0) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_KEY_RATE_LIMIT) {
    throw new BadUserInputError({
      [field]: `rateLimitPerMinute must be between 1 and ${MAX_KEY_RATE_LIMIT}${zeroClears ? ', or 0 to remove it' : ''}.`,
    });
  }
  return value;
}

export function resolveExpiry(input: { expiresInDays?: number | null; expiresAt?: Date | null }): Date | null {
  const { expiresInDays, expiresAt } = input;
  if (expiresInDays != null && expiresAt != null) {
    throw new BadUserInputError({ 'input.expiresAt': 'Give expiresInDays or expiresAt, not both.' });
  }
  if (expiresInDays != null) {
    if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > MAX_EXPIRES_IN_DAYS) {
      throw new BadUserInputError({ 'input.expiresInDays': `expiresInDays must be between 1 and ${MAX_EXPIRES_IN_DAYS}.` });
    }
    return new Date(Date.now() + expiresInDays * DAY_MS);
  }
  if (expiresAt != null) {
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) {
      throw new BadUserInputError({ 'input.expiresAt': 'expiresAt must be in the future.' });
    }
    if (expiresAt.getTime() > Date.now() + 10 * 366 * DAY_MS) {
      throw new BadUserInputError({ 'input.expiresAt': 'expiresAt must be within 10 years.' });
    }
    return expiresAt;
  }
  return null;
}

/** Nobody grants what they do not hold. */
export function grantRefusal(access: AccessModel, held: PermissionMask, requested: PermissionMask): Refusal {
  const missing = access.missingScopes(held, requested);
  if (missing.length === 0) return null;
  return new ForbiddenError(
    { required: missing, rule: ForbiddenRule.NO_ESCALATION },
    `You cannot grant ${missing.join(', ')}: you do not hold ${missing.length > 1 ? 'them' : 'it'}.`,
  );
}

export function assertCanGrant(access: AccessModel, held: PermissionMask, requested: PermissionMask): void {
  enforce(grantRefusal(access, held, requested));
}

export type ApiKeyAction = 'update' | 'rotate' | 'setStatus' | 'enable' | 'disable' | 'revoke' | 'delete';

/** What the rules read of a key. */
export interface KeyFacts {
  storedStatus: ApiKeyStatus;
  type: ApiKeyType;
  ownerUserId: string | null;
  permissions: PermissionsJson;
}

/**
 * The key lifecycle's rules for one caller and one key: the mutations enforce them (after locking
 * the key, with the caller's authority re-read) and `ApiKey.viewerCan` reports them.
 */
export function apiKeyRules(principal: Principal, access: AccessModel, key: KeyFacts): BoundRules<ApiKeyAction> {
  const scope = (s: Scope) => needsScope(access, principal.permissions, s);
  const live = (message: string) => () =>
    key.storedStatus === ApiKeyStatus.REVOKED ? new ConflictError(message, ConflictRule.KEY_REVOKED) : null;
  /** An action that would leave the key as it is is refused, so a client learns it changed nothing. */
  const unless = (status: ApiKeyStatus, message: string, rule: ConflictRule) => () =>
    key.storedStatus === status ? new ConflictError(message, rule) : null;
  const toggle = live('A revoked key cannot be re-enabled or disabled; revocation is permanent.');
  return {
    update: () => firstRefusal(scope(API_KEY_OPERATIONS.updateApiKey), live('A revoked key cannot be changed.')),
    rotate: () =>
      firstRefusal(
        scope(API_KEY_OPERATIONS.rotateApiKey),
        live('A revoked key cannot be rotated.'),
        // The new secret would act as that user: only the user may mint it.
        () =>
          key.type === ApiKeyType.USER && actingUserId(principal) !== key.ownerUserId
            ? new ForbiddenError({ rule: ForbiddenRule.USER_KEY_OWNER_ONLY }, 'Only the owner of a USER key can rotate it.')
            : null,
        // Whoever receives the new secret receives the key's permissions.
        () => grantRefusal(access, principal.permissions, access.maskFromJson(key.permissions)),
      ),
    // Switching to the other of ACTIVE and INACTIVE (the console's switch); enable and disable below name the direction.
    setStatus: () => firstRefusal(scope(API_KEY_OPERATIONS.setApiKeyStatus), toggle),
    enable: () =>
      firstRefusal(
        scope(API_KEY_OPERATIONS.setApiKeyStatus),
        toggle,
        unless(ApiKeyStatus.ACTIVE, 'The key is already active.', ConflictRule.ALREADY_ACTIVE),
      ),
    disable: () =>
      firstRefusal(
        scope(API_KEY_OPERATIONS.setApiKeyStatus),
        toggle,
        unless(ApiKeyStatus.INACTIVE, 'The key is already inactive.', ConflictRule.ALREADY_INACTIVE),
      ),
    // Revoking twice would change nothing (the first revocation's record stands): refused, not answered as if it happened.
    revoke: () =>
      firstRefusal(
        scope(API_KEY_OPERATIONS.revokeApiKey),
        unless(ApiKeyStatus.REVOKED, 'The key is already revoked; revocation is permanent.', ConflictRule.ALREADY_REVOKED),
      ),
    delete: scope(API_KEY_OPERATIONS.deleteApiKey),
  };
}

/**
 * The scope each mutation of this feature needs, declared once: the resolver's `@Requires`, the
 * service's `changes.run` (checked again at commit) and the manifest take it from here, and the
 * schema refuses to build when a mutation's `@requires` differs.
 */
export const API_KEY_OPERATIONS = defineOperations({
  createApiKey: 'apiKeys:create',
  rotateApiKey: 'apiKeys:update',
  updateApiKey: 'apiKeys:update',
  setApiKeyStatus: 'apiKeys:update',
  revokeApiKey: 'apiKeys:delete',
  deleteApiKey: 'apiKeys:delete',
});
