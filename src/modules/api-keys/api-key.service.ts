import type { EntityManager } from 'typeorm';
import { ApiKeyStatus, ApiKeyType } from '../../auth/api-key-states';
import type { KeyFormat } from '../../auth/key-format';
import { actorOf, type Caller } from '../../auth/principal';
import { findOrgRow } from '../../db/org-scoped';
import type { AccessModel } from '../../kernel/access';
import { BadUserInputError, checkInput, ConflictError, ForbiddenError, ForbiddenRule } from '../../kernel/errors';
import type { PermissionsJson } from '../../kernel/permissions';
import { enforce } from '../../kernel/capabilities';
import type { Change, Changes } from '../../core/changes';
import { Membership } from '../members/membership.entity';
import { endSecrets, issueSecret } from './api-key-secrets';
import { API_KEY_AUDIT } from './api-key.audit';
import { ApiKey } from './api-key.entity';
import {
  API_KEY_OPERATIONS,
  apiKeyRules,
  assertCanGrant,
  resolveExpiry,
  validateGracePeriod,
  validateName,
  validateRateLimit,
  validateReason,
} from './api-key.rules';

export interface CreateApiKeyArgs {
  name: string;
  type?: ApiKeyType | null;
  permissions: PermissionsJson;
  expiresInDays?: number | null;
  expiresAt?: Date | null;
  rateLimitPerMinute?: number | null;
}

export interface UpdateApiKeyArgs {
  name?: string | null;
  permissions?: PermissionsJson | null;
  /** 0 removes the per-key limit. */
  rateLimitPerMinute?: number | null;
}

export interface CreatedKey {
  apiKey: ApiKey;
  secret: string;
}

/**
 * The rules of the key lifecycle. Every method is scoped to the caller's organization: an id from
 * another organization is treated exactly like an id that does not exist. Every change runs
 * through Changes: authority re-checked, audit event and cache invalidation in its transaction.
 */
export class ApiKeyService {
  constructor(
    private readonly keyFormat: KeyFormat,
    private readonly access: AccessModel,
    private readonly changes: Changes,
  ) {}

  async create(caller: Caller, input: CreateApiKeyArgs): Promise<CreatedKey> {
    return this.changes.run(caller, API_KEY_OPERATIONS.createApiKey, (tx) => this.createWithin(tx, input));
  }

  /** Also used by the organization bootstrap, inside its own transaction. */
  async createWithin(tx: Change, input: CreateApiKeyArgs): Promise<CreatedKey> {
    const { m, caller } = tx;
    const { principal } = caller;
    const { name, granted, expiresAt, rateLimitPerMinute } = checkInput({
      name: () => validateName(input.name, 'input.name'),
      granted: () => this.access.parseGrant(input.permissions, 'input.permissions'),
      expiresAt: () => resolveExpiry(input),
      rateLimitPerMinute: () => validateRateLimit(input.rateLimitPerMinute, 'input.rateLimitPerMinute', false),
    });
    const type = input.type ?? ApiKeyType.BOT;
    assertCanGrant(this.access, principal.permissions, granted);

    let ownerUserId: string | null = null;
    if (type === ApiKeyType.USER) {
      if (principal.kind !== 'USER') {
        throw new ForbiddenError(
          { rule: ForbiddenRule.USER_KEY_NEEDS_SESSION },
          'An API key can create only BOT keys; sign in to create a USER key.',
        );
      }
      ownerUserId = principal.userId;
      await this.assertNoLiveUserKey(m, principal.orgId, ownerUserId);
    }

    const actor = actorOf(principal);
    const apiKey = m.getRepository(ApiKey).create({
      orgId: principal.orgId,
      name,
      type,
      ownerUserId,
      permissions: this.access.storedJsonFromMask(granted),
      storedStatus: ApiKeyStatus.ACTIVE,
      expiresAt,
      rateLimitPerMinute: rateLimitPerMinute ?? null,
      createdByKind: actor.kind,
      createdById: actor.id,
      lastUsedAt: null,
      revokedAt: null,
      revokedByKind: null,
      revokedById: null,
      revokedReason: null,
      deletedAt: null,
    });
    const secret = await issueSecret(m, this.keyFormat, apiKey, () => m.save(apiKey));
    await tx.audit(API_KEY_AUDIT, 'API_KEY_CREATED', {
      targetId: apiKey.id,
      targetName: apiKey.name,
      metadata: { type, prefix: apiKey.prefix, scopes: this.access.scopesOf(granted), expiresAt },
    });
    return { apiKey, secret };
  }

  async rotate(caller: Caller, id: string, gracePeriodSeconds: number | null | undefined): Promise<CreatedKey> {
    const grace = validateGracePeriod(gracePeriodSeconds);
    return this.changes.run(caller, API_KEY_OPERATIONS.rotateApiKey, async (tx) => {
      const key = await this.lockKey(tx, id);
      enforce(apiKeyRules(tx.caller.principal, this.access, key).rotate());

      const endsAt = new Date(Date.now() + grace * 1000);
      await endSecrets(tx.m, [key.id], endsAt);
      const previousPrefix = key.prefix;
      key.rotatedAt = key.updatedAt = new Date();
      const secret = await issueSecret(tx.m, this.keyFormat, key, () => tx.m.save(key));
      await tx.invalidate({ kind: 'key', keyId: key.id });
      await tx.audit(API_KEY_AUDIT, 'API_KEY_ROTATED', {
        targetId: key.id,
        targetName: key.name,
        metadata: { gracePeriodSeconds: grace, previousPrefix, prefix: key.prefix, previousSecretEndsAt: endsAt },
      });
      return { apiKey: key, secret };
    });
  }

  async update(caller: Caller, id: string, input: UpdateApiKeyArgs): Promise<ApiKey> {
    const { name, permissions, rateLimit } = checkInput({
      name: () => (input.name == null ? undefined : validateName(input.name, 'input.name')),
      permissions: () => (input.permissions == null ? undefined : this.access.parseGrant(input.permissions, 'input.permissions')),
      rateLimit: () => validateRateLimit(input.rateLimitPerMinute, 'input.rateLimitPerMinute', true),
    });
    if (name === undefined && permissions === undefined && rateLimit === undefined) {
      throw new BadUserInputError({ input: 'Give a name or permissions to change.' });
    }
    return this.changes.run(caller, API_KEY_OPERATIONS.updateApiKey, async (tx) => {
      if (permissions !== undefined) assertCanGrant(this.access, tx.caller.principal.permissions, permissions);
      const key = await this.lockKey(tx, id);
      enforce(apiKeyRules(tx.caller.principal, this.access, key).update());
      const metadata: Record<string, unknown> = {};
      if (name !== undefined && name !== key.name) {
        metadata.name = { from: key.name, to: name };
        key.name = name;
      }
      if (permissions !== undefined) {
        const diff = this.access.diffScopes(this.access.maskFromJson(key.permissions), permissions);
        if (diff.added.length || diff.removed.length) metadata.permissions = diff;
        key.permissions = this.access.storedJsonFromMask(permissions);
      }
      if (rateLimit !== undefined && rateLimit !== key.rateLimitPerMinute) {
        metadata.rateLimitPerMinute = { from: key.rateLimitPerMinute, to: rateLimit };
        key.rateLimitPerMinute = rateLimit;
      }
      if (Object.keys(metadata).length === 0) return key;
      await this.saveAndRecord(tx, key, 'API_KEY_UPDATED', metadata);
      return key;
    });
  }

  async setStatus(caller: Caller, id: string, status: ApiKeyStatus.ACTIVE | ApiKeyStatus.INACTIVE): Promise<ApiKey> {
    return this.changes.run(caller, API_KEY_OPERATIONS.setApiKeyStatus, async (tx) => {
      const key = await this.lockKey(tx, id);
      const rules = apiKeyRules(tx.caller.principal, this.access, key);
      // Setting the status the key already has would change nothing: refused (ALREADY_ACTIVE / ALREADY_INACTIVE).
      enforce(status === ApiKeyStatus.ACTIVE ? rules.enable() : rules.disable());
      key.storedStatus = status;
      await this.saveAndRecord(tx, key, status === ApiKeyStatus.ACTIVE ? 'API_KEY_ENABLED' : 'API_KEY_DISABLED');
      return key;
    });
  }

  async revoke(caller: Caller, id: string, reason: string | null | undefined): Promise<ApiKey> {
    const why = validateReason(reason);
    return this.changes.run(caller, API_KEY_OPERATIONS.revokeApiKey, async (tx) => {
      const key = await this.lockKey(tx, id);
      // A revoked key is refused (ALREADY_REVOKED): the first revocation's record stands.
      enforce(apiKeyRules(tx.caller.principal, this.access, key).revoke());
      const actor = actorOf(tx.caller.principal);
      const now = new Date();
      Object.assign(key, {
        storedStatus: ApiKeyStatus.REVOKED,
        revokedAt: now,
        revokedByKind: actor.kind,
        revokedById: actor.id,
        revokedReason: why,
      });
      await endSecrets(tx.m, [key.id], now);
      await this.saveAndRecord(tx, key, 'API_KEY_REVOKED', { reason: why, prefix: key.prefix });
      return key;
    });
  }

  async delete(caller: Caller, id: string): Promise<string> {
    return this.changes.run(caller, API_KEY_OPERATIONS.deleteApiKey, async (tx) => {
      const key = await this.lockKey(tx, id);
      enforce(apiKeyRules(tx.caller.principal, this.access, key).delete());
      await this.softDelete(tx, [key], null);
      return key.id;
    });
  }

  /** Deletes a user's USER keys in the caller's organization (the user is leaving it). */
  async deleteUserKeysWithin(tx: Change, userId: string): Promise<string[]> {
    const keys = await tx.m
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .setLock('pessimistic_write')
      .where('k.orgId = :orgId AND k.ownerUserId = :userId AND k.type = :type AND k.deletedAt IS NULL', {
        orgId: tx.caller.principal.orgId,
        userId,
        type: ApiKeyType.USER,
      })
      .getMany();
    await this.softDelete(tx, keys, 'MEMBER_REMOVED');
    return keys.map((k) => k.id);
  }

  /**
   * At most one live USER key per person per organization. The membership row is locked so two
   * concurrent requests cannot both create "the" user key. FOR NO KEY UPDATE queues such requests
   * behind each other without conflicting with the FOR KEY SHARE each of them already holds on
   * the same row (auth/authority.ts): FOR UPDATE here would deadlock two requests of one person.
   */
  private async assertNoLiveUserKey(m: EntityManager, orgId: string, userId: string): Promise<void> {
    await m
      .getRepository(Membership)
      .createQueryBuilder('ms')
      .setLock('for_no_key_update')
      .where('ms.orgId = :orgId AND ms.userId = :userId', { orgId, userId })
      .getOne();
    const live = await m
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.orgId = :orgId AND k.ownerUserId = :userId AND k.type = :type', { orgId, userId, type: ApiKeyType.USER })
      .andWhere('k.deletedAt IS NULL AND k.storedStatus <> :revoked', { revoked: ApiKeyStatus.REVOKED })
      .andWhere('(k.expiresAt IS NULL OR k.expiresAt > :now)', { now: new Date() })
      .getExists();
    if (live) throw new ConflictError('You already have a live USER key in this organization; revoke or delete it first.');
  }

  /** The common end of a change to one key: save it, forget its cached verdict, record the event. */
  private async saveAndRecord(
    tx: Change,
    key: ApiKey,
    action: keyof typeof API_KEY_AUDIT.actions,
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    key.updatedAt = new Date();
    await tx.m.save(key);
    await tx.invalidate({ kind: 'key', keyId: key.id });
    await tx.audit(API_KEY_AUDIT, action, { targetId: key.id, targetName: key.name, metadata });
  }

  private async softDelete(tx: Change, keys: ApiKey[], cause: string | null): Promise<void> {
    if (keys.length === 0) return;
    const now = new Date();
    await tx.m
      .createQueryBuilder()
      .update(ApiKey)
      .set({ deletedAt: now, updatedAt: now })
      .whereInIds(keys.map((k) => k.id))
      .execute();
    await endSecrets(
      tx.m,
      keys.map((k) => k.id),
      now,
    );
    for (const key of keys) {
      await tx.invalidate({ kind: 'key', keyId: key.id });
      await tx.audit(API_KEY_AUDIT, 'API_KEY_DELETED', {
        targetId: key.id,
        targetName: key.name,
        metadata: { prefix: key.prefix, type: key.type, ...(cause ? { cause } : {}) },
      });
    }
  }

  /** Loads a live (not deleted) key of the caller's organization for update, or NOT_FOUND. */
  private lockKey(tx: Change, id: string): Promise<ApiKey> {
    return findOrgRow(tx.m, ApiKey, tx.caller.principal.orgId, id, { what: 'API key', lock: true, where: 'row.deletedAt IS NULL' });
  }
}
