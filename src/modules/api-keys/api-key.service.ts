import { Brackets, type DataSource, type EntityManager } from 'typeorm';
import type { AuthInvalidator } from '../../auth/auth-invalidation';
import type { Changes } from '../../auth/changes';
import type { KeyFormat } from '../../auth/key-format';
import {
  diffScopes,
  isAction,
  isResource,
  maskFromJson,
  missingScopes,
  scopesOf,
  storedJsonFromMask,
  type PermissionMask,
  type PermissionsJson,
} from '../../auth/permissions';
import { actingUserId, actorOf, type Caller } from '../../auth/principal';
import { findOrgRow } from '../../db/org-scoped';
import { isUuid, keysetPage, type Page, type PageArgs } from '../../db/pagination';
import { BadUserInputError, ConflictError, ForbiddenError, ForbiddenRule } from '../../errors';
import { AuditAction, type AuditService } from '../audit/audit.service';
import { Membership } from '../members/membership.entity';
import { ApiKeySecret } from './api-key-secret.entity';
import { ApiKey, ApiKeyStatus, ApiKeyType } from './api-key.entity';

export const MAX_EXPIRES_IN_DAYS = 365;
export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 3600;
const MAX_NAME_LENGTH = 100;
const MAX_REASON_LENGTH = 500;
const DAY_MS = 24 * 3600 * 1000;

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

export const MAX_KEY_RATE_LIMIT = 100_000;

export interface ApiKeyFilterArgs {
  status?: ApiKeyStatus | null;
  type?: ApiKeyType | null;
  ownerId?: string | null;
  expiringWithinDays?: number | null;
  search?: string | null;
}

export interface CreatedKey {
  apiKey: ApiKey;
  secret: string;
}

/**
 * The rules of the key lifecycle. Every method is scoped to the caller's organization: an id from
 * another organization is treated exactly like an id that does not exist.
 */
export class ApiKeyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keyFormat: KeyFormat,
    private readonly audit: AuditService,
    private readonly invalidator: AuthInvalidator,
    private readonly changes: Changes,
  ) {}

  async list(caller: Caller, args: PageArgs & { filter?: ApiKeyFilterArgs | null }): Promise<Page<ApiKey>> {
    const qb = this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.orgId = :orgId', { orgId: caller.principal.orgId })
      .andWhere('k.deletedAt IS NULL');
    const f = args.filter ?? {};
    const now = new Date();
    switch (f.status) {
      case ApiKeyStatus.REVOKED:
        qb.andWhere('k.storedStatus = :revoked', { revoked: ApiKeyStatus.REVOKED });
        break;
      case ApiKeyStatus.EXPIRED:
        qb.andWhere('k.storedStatus <> :revoked AND k.expiresAt <= :now', { revoked: ApiKeyStatus.REVOKED, now });
        break;
      case ApiKeyStatus.ACTIVE:
      case ApiKeyStatus.INACTIVE:
        qb.andWhere('k.storedStatus = :status AND (k.expiresAt IS NULL OR k.expiresAt > :now)', { status: f.status, now });
        break;
    }
    if (f.type) qb.andWhere('k.type = :type', { type: f.type });
    if (f.ownerId) {
      // A malformed id cannot match anything; answer with an empty page rather than an error.
      if (!isUuid(f.ownerId)) qb.andWhere('false');
      else qb.andWhere('k.ownerUserId = :ownerId', { ownerId: f.ownerId });
    }
    if (f.expiringWithinDays != null) {
      if (!Number.isInteger(f.expiringWithinDays) || f.expiringWithinDays < 1 || f.expiringWithinDays > MAX_EXPIRES_IN_DAYS) {
        throw new BadUserInputError({ 'filter.expiringWithinDays': `expiringWithinDays must be between 1 and ${MAX_EXPIRES_IN_DAYS}.` });
      }
      qb.andWhere('k.expiresAt > :now AND k.expiresAt <= :horizon', {
        now,
        horizon: new Date(now.getTime() + f.expiringWithinDays * DAY_MS),
      });
    }
    const search = f.search?.trim();
    if (search) {
      if (search.length > MAX_NAME_LENGTH) throw new BadUserInputError({ 'filter.search': `search is at most ${MAX_NAME_LENGTH} characters.` });
      qb.andWhere(
        new Brackets((w) =>
          w
            .where("k.name ILIKE :search ESCAPE '\\'", { search: `%${search.replace(/[\\%_]/g, '\\$&')}%` })
            .orWhere('k.prefix = :exactPrefix', { exactPrefix: search }),
        ),
      );
    }
    return keysetPage(qb, args, 20);
  }

  async get(caller: Caller, id: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    return this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.id = :id AND k.orgId = :orgId AND k.deletedAt IS NULL', { id, orgId: caller.principal.orgId })
      .getOne();
  }

  async create(caller: Caller, input: CreateApiKeyArgs): Promise<CreatedKey> {
    return this.changes.run(caller, 'apiKeys:create', (m, current) => this.createWithin(m, current, input));
  }

  /** Also used by the organization bootstrap, inside its own transaction. */
  async createWithin(m: EntityManager, caller: Caller, input: CreateApiKeyArgs): Promise<CreatedKey> {
    const { principal } = caller;
    const name = validateName(input.name, 'input.name');
    const type = input.type ?? ApiKeyType.BOT;
    const granted = validatePermissions(input.permissions, 'input.permissions');
    const expiresAt = resolveExpiry(input);
    const rateLimitPerMinute = validateRateLimit(input.rateLimitPerMinute, 'input.rateLimitPerMinute', false);
    assertCanGrant(principal.permissions, granted);

    let ownerUserId: string | null = null;
    if (type === ApiKeyType.USER) {
      if (principal.kind !== 'USER') {
        throw new ForbiddenError({ rule: ForbiddenRule.USER_KEY_NEEDS_SESSION }, 'An API key can create only BOT keys; sign in to create a USER key.');
      }
      ownerUserId = principal.userId;
      // Lock the membership row so two concurrent requests cannot both create "the" user key.
      // FOR NO KEY UPDATE queues such requests behind each other without conflicting with the
      // FOR KEY SHARE each of them already holds on the same row (auth/authority.ts): FOR UPDATE
      // here would deadlock two requests of one person.
      await m
        .getRepository(Membership)
        .createQueryBuilder('ms')
        .setLock('for_no_key_update')
        .where('ms.orgId = :orgId AND ms.userId = :userId', { orgId: principal.orgId, userId: ownerUserId })
        .getOne();
      const live = await m
        .getRepository(ApiKey)
        .createQueryBuilder('k')
        .where('k.orgId = :orgId AND k.ownerUserId = :userId AND k.type = :type', {
          orgId: principal.orgId,
          userId: ownerUserId,
          type: ApiKeyType.USER,
        })
        .andWhere('k.deletedAt IS NULL AND k.storedStatus <> :revoked', { revoked: ApiKeyStatus.REVOKED })
        .andWhere('(k.expiresAt IS NULL OR k.expiresAt > :now)', { now: new Date() })
        .getExists();
      if (live) {
        throw new ConflictError('You already have a live USER key in this organization; revoke or delete it first.');
      }
    }

    const generated = this.keyFormat.generate();
    const actor = actorOf(principal);
    const apiKey = m.getRepository(ApiKey).create({
      orgId: principal.orgId,
      name,
      type,
      ownerUserId,
      permissions: storedJsonFromMask(granted),
      storedStatus: ApiKeyStatus.ACTIVE,
      prefix: generated.prefix,
      last4: generated.last4,
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
    await m.save(apiKey);
    await m.insert(ApiKeySecret, {
      apiKeyId: apiKey.id,
      secretHash: generated.hash,
      prefix: generated.prefix,
      last4: generated.last4,
      endsAt: null,
    });
    await this.audit.record(m, caller, {
      action: AuditAction.API_KEY_CREATED,
      targetType: 'API_KEY',
      targetId: apiKey.id,
      targetName: apiKey.name,
      metadata: { type, prefix: apiKey.prefix, scopes: scopesOf(granted), expiresAt },
    });
    return { apiKey, secret: generated.secret };
  }

  async rotate(caller: Caller, id: string, gracePeriodSeconds: number | null | undefined): Promise<CreatedKey> {
    const grace = gracePeriodSeconds ?? 0;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_PERIOD_SECONDS) {
      throw new BadUserInputError({ gracePeriodSeconds: `gracePeriodSeconds must be between 0 and ${MAX_GRACE_PERIOD_SECONDS} (7 days).` });
    }
    return this.changes.run(caller, 'apiKeys:update', async (m, caller) => {
      const key = await this.lockKey(m, caller, id);
      if (key.storedStatus === ApiKeyStatus.REVOKED) throw new ConflictError('A revoked key cannot be rotated.');
      if (key.type === ApiKeyType.USER && actingUserId(caller.principal) !== key.ownerUserId) {
        // The new secret would act as that user: only the user may mint it.
        throw new ForbiddenError({ rule: ForbiddenRule.USER_KEY_OWNER_ONLY }, 'Only the owner of a USER key can rotate it.');
      }
      // Whoever receives the new secret receives the key's permissions.
      assertCanGrant(caller.principal.permissions, maskFromJson(key.permissions));

      const endsAt = new Date(Date.now() + grace * 1000);
      await m
        .createQueryBuilder()
        .update(ApiKeySecret)
        .set({ endsAt })
        .where('apiKeyId = :id AND (endsAt IS NULL OR endsAt > :endsAt)', { id: key.id, endsAt })
        .execute();
      const generated = this.keyFormat.generate();
      await m.insert(ApiKeySecret, {
        apiKeyId: key.id,
        secretHash: generated.hash,
        prefix: generated.prefix,
        last4: generated.last4,
        endsAt: null,
      });
      const previousPrefix = key.prefix;
      key.prefix = generated.prefix;
      key.last4 = generated.last4;
      await m.save(key);
      await this.invalidator.within(m, { kind: 'key', keyId: key.id });
      await this.audit.record(m, caller, {
        action: AuditAction.API_KEY_ROTATED,
        targetType: 'API_KEY',
        targetId: key.id,
        targetName: key.name,
        metadata: { gracePeriodSeconds: grace, previousPrefix, prefix: key.prefix, previousSecretEndsAt: endsAt },
      });
      return { apiKey: key, secret: generated.secret };
    });
  }

  async update(caller: Caller, id: string, input: UpdateApiKeyArgs): Promise<ApiKey> {
    const name = input.name == null ? undefined : validateName(input.name, 'input.name');
    const permissions = input.permissions == null ? undefined : validatePermissions(input.permissions, 'input.permissions');
    const rateLimit = validateRateLimit(input.rateLimitPerMinute, 'input.rateLimitPerMinute', true);
    if (name === undefined && permissions === undefined && rateLimit === undefined) {
      throw new BadUserInputError({ input: 'Give a name or permissions to change.' });
    }
    return this.changes.run(caller, 'apiKeys:update', async (m, caller) => {
      if (permissions !== undefined) assertCanGrant(caller.principal.permissions, permissions);
      const key = await this.lockKey(m, caller, id);
      if (key.storedStatus === ApiKeyStatus.REVOKED) throw new ConflictError('A revoked key cannot be changed.');
      const metadata: Record<string, unknown> = {};
      if (name !== undefined && name !== key.name) {
        metadata.name = { from: key.name, to: name };
        key.name = name;
      }
      if (permissions !== undefined) {
        const diff = diffScopes(maskFromJson(key.permissions), permissions);
        if (diff.added.length || diff.removed.length) metadata.permissions = diff;
        key.permissions = storedJsonFromMask(permissions);
      }
      if (rateLimit !== undefined && rateLimit !== key.rateLimitPerMinute) {
        metadata.rateLimitPerMinute = { from: key.rateLimitPerMinute, to: rateLimit };
        key.rateLimitPerMinute = rateLimit;
      }
      if (Object.keys(metadata).length === 0) return key;
      await m.save(key);
      await this.invalidator.within(m, { kind: 'key', keyId: key.id });
      await this.audit.record(m, caller, {
        action: AuditAction.API_KEY_UPDATED,
        targetType: 'API_KEY',
        targetId: key.id,
        targetName: key.name,
        metadata,
      });
      return key;
    });
  }

  async setStatus(caller: Caller, id: string, status: ApiKeyStatus.ACTIVE | ApiKeyStatus.INACTIVE): Promise<ApiKey> {
    return this.changes.run(caller, 'apiKeys:update', async (m, caller) => {
      const key = await this.lockKey(m, caller, id);
      if (key.storedStatus === ApiKeyStatus.REVOKED) {
        throw new ConflictError('A revoked key cannot be re-enabled or disabled; revocation is permanent.');
      }
      if (key.storedStatus === status) return key;
      key.storedStatus = status;
      await m.save(key);
      await this.invalidator.within(m, { kind: 'key', keyId: key.id });
      await this.audit.record(m, caller, {
        action: status === ApiKeyStatus.ACTIVE ? AuditAction.API_KEY_ENABLED : AuditAction.API_KEY_DISABLED,
        targetType: 'API_KEY',
        targetId: key.id,
        targetName: key.name,
      });
      return key;
    });
  }

  async revoke(caller: Caller, id: string, reason: string | null | undefined): Promise<ApiKey> {
    const why = reason?.trim() || null;
    if (why && why.length > MAX_REASON_LENGTH) {
      throw new BadUserInputError({ reason: `reason is at most ${MAX_REASON_LENGTH} characters.` });
    }
    return this.changes.run(caller, 'apiKeys:delete', async (m, caller) => {
      const key = await this.lockKey(m, caller, id);
      // Revoking twice is harmless; the first revocation's record stands.
      if (key.storedStatus === ApiKeyStatus.REVOKED) return key;
      const actor = actorOf(caller.principal);
      const now = new Date();
      key.storedStatus = ApiKeyStatus.REVOKED;
      key.revokedAt = now;
      key.revokedByKind = actor.kind;
      key.revokedById = actor.id;
      key.revokedReason = why;
      await m.save(key);
      await this.endSecrets(m, [key.id], now);
      await this.invalidator.within(m, { kind: 'key', keyId: key.id });
      await this.audit.record(m, caller, {
        action: AuditAction.API_KEY_REVOKED,
        targetType: 'API_KEY',
        targetId: key.id,
        targetName: key.name,
        metadata: { reason: why, prefix: key.prefix },
      });
      return key;
    });
  }

  async delete(caller: Caller, id: string): Promise<string> {
    return this.changes.run(caller, 'apiKeys:delete', async (m, caller) => {
      const key = await this.lockKey(m, caller, id);
      await this.softDelete(m, caller, [key], null);
      return key.id;
    });
  }

  /** Deletes a user's USER keys in the caller's organization (the user is leaving it). */
  async deleteUserKeysWithin(m: EntityManager, caller: Caller, userId: string): Promise<string[]> {
    const keys = await m
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .setLock('pessimistic_write')
      .where('k.orgId = :orgId AND k.ownerUserId = :userId AND k.type = :type AND k.deletedAt IS NULL', {
        orgId: caller.principal.orgId,
        userId,
        type: ApiKeyType.USER,
      })
      .getMany();
    await this.softDelete(m, caller, keys, 'MEMBER_REMOVED');
    return keys.map((k) => k.id);
  }

  private async softDelete(m: EntityManager, caller: Caller, keys: ApiKey[], cause: string | null): Promise<void> {
    if (keys.length === 0) return;
    const now = new Date();
    await m
      .createQueryBuilder()
      .update(ApiKey)
      .set({ deletedAt: now })
      .whereInIds(keys.map((k) => k.id))
      .execute();
    await this.endSecrets(m, keys.map((k) => k.id), now);
    for (const key of keys) {
      await this.invalidator.within(m, { kind: 'key', keyId: key.id });
      await this.audit.record(m, caller, {
        action: AuditAction.API_KEY_DELETED,
        targetType: 'API_KEY',
        targetId: key.id,
        targetName: key.name,
        metadata: { prefix: key.prefix, type: key.type, ...(cause ? { cause } : {}) },
      });
    }
  }

  private async endSecrets(m: EntityManager, keyIds: string[], at: Date): Promise<void> {
    await m
      .createQueryBuilder()
      .update(ApiKeySecret)
      .set({ endsAt: at })
      .where('apiKeyId IN (:...keyIds) AND (endsAt IS NULL OR endsAt > :at)', { keyIds, at })
      .execute();
  }

  /** Loads a live (not deleted) key of the caller's organization for update, or NOT_FOUND. */
  private lockKey(m: EntityManager, caller: Caller, id: string): Promise<ApiKey> {
    return findOrgRow(m, ApiKey, caller, id, { what: 'API key', lock: true, where: 'row.deletedAt IS NULL' });
  }
}

export function validateName(raw: string, field: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) {
    throw new BadUserInputError({ [field]: `name must be 1 to ${MAX_NAME_LENGTH} characters.` });
  }
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new BadUserInputError({ [field]: 'name must not contain control characters.' });
  }
  return name;
}

/** Validates the JSON shape strictly: unknown resources or actions are errors, not ignored. */
export function validatePermissions(json: PermissionsJson, field: string): PermissionMask {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new BadUserInputError({ [field]: 'permissions must be an object such as { "stats": ["read"] }.' });
  }
  for (const [resource, actions] of Object.entries(json)) {
    if (!isResource(resource)) throw new BadUserInputError({ [`${field}.${resource}`]: `Unknown resource ${resource}.` });
    if (actions == null) continue;
    if (!Array.isArray(actions) || !actions.every(isAction)) {
      throw new BadUserInputError({ [`${field}.${resource}`]: 'Actions must be create, read, update or delete.' });
    }
  }
  return maskFromJson(json);
}

/** undefined: unchanged; null: none (0 on update removes the per-key limit). */
function validateRateLimit(value: number | null | undefined, field: string, zeroClears: boolean): number | null | undefined {
  if (value == null) return undefined;
  if (zeroClears && value === 0) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_KEY_RATE_LIMIT) {
    throw new BadUserInputError({ [field]: `rateLimitPerMinute must be between 1 and ${MAX_KEY_RATE_LIMIT}${zeroClears ? ', or 0 to remove it' : ''}.` });
  }
  return value;
}

function resolveExpiry(input: CreateApiKeyArgs): Date | null {
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
export function assertCanGrant(held: PermissionMask, requested: PermissionMask): void {
  const missing = missingScopes(held, requested);
  if (missing.length > 0) {
    throw new ForbiddenError(
      { required: missing, rule: ForbiddenRule.NO_ESCALATION },
      `You cannot grant ${missing.join(', ')}: you do not hold ${missing.length > 1 ? 'them' : 'it'}.`,
    );
  }
}
