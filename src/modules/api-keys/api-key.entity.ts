import { OrgOwnedEntity } from '../../core/org-owned.entity';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import type { PermissionsJson } from '../../kernel/permissions';
import { ApiKeyStatus, ApiKeyType, type StoredApiKeyStatus } from '../../auth/api-key-states';
import type { PrincipalKind } from '../../auth/principal';
import { CreatedAtColumn, TimestampColumn } from '../../db/columns';
import { Requires } from '../../graphql/requires.directive';
import { User } from '../members/user.entity';

registerEnumType(ApiKeyType, {
  name: 'ApiKeyType',
  description: 'USER keys act for the user who made them; BOT keys belong to the organization.',
});

registerEnumType(ApiKeyStatus, { name: 'ApiKeyStatus' });

/**
 * A key's identity and metadata. Its secrets (one, or two during a rotation grace period) live
 * in `api_key_secrets`; nothing here can be turned back into a usable key.
 */
@Entity('api_keys')
@Index('api_keys_org_created_idx', ['orgId', 'createdAt', 'id'])
@Index('api_keys_org_owner_idx', ['orgId', 'ownerUserId'])
// The orderings of `apiKeys(orderBy)` walk these (keyset pagination): name, last use, expiry.
@Index('api_keys_org_name_idx', ['orgId', 'name', 'id'])
@Index('api_keys_org_last_used_idx', ['orgId', 'lastUsedAt', 'id'])
@Index('api_keys_org_expires_idx', ['orgId', 'expiresAt', 'id'])
@ObjectType({ description: 'An API key. The secret itself is never readable; see CreatedApiKey.' })
@Requires('apiKeys', 'read')
export class ApiKey extends OrgOwnedEntity {
  @Field()
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => ApiKeyType)
  @Column({ type: 'varchar', length: 8 })
  type: ApiKeyType;

  @Column({ name: 'owner_user_id', type: 'uuid', nullable: true })
  ownerUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_user_id' })
  owner?: User;

  /** As granted; for USER keys the effective set is this ∩ the owner's current role. */
  @Column({ type: 'jsonb' })
  permissions: PermissionsJson;

  @Column({ name: 'status', type: 'varchar', length: 16, default: ApiKeyStatus.ACTIVE })
  storedStatus: StoredApiKeyStatus;

  /** Display parts of the current secret, e.g. `sk_live_a1b2` and `9f3c`. */
  @Field()
  @Column({ type: 'varchar', length: 32 })
  prefix: string;

  @Field()
  @Column({ type: 'varchar', length: 4 })
  last4: string;

  @Field(() => Date, { nullable: true })
  @TimestampColumn('expires_at', { nullable: true })
  expiresAt: Date | null;

  @Field(() => Date)
  @CreatedAtColumn()
  createdAt: Date;

  @Field(() => Date, { description: 'When the key itself last changed (name, permissions, limit, status, secret); use does not count.' })
  @TimestampColumn('updated_at', { default: () => 'now()' })
  updatedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When its secret was last rotated; null if never.' })
  @TimestampColumn('rotated_at', { nullable: true })
  rotatedAt: Date | null;

  @Column({ name: 'created_by_kind', type: 'varchar', length: 8 })
  createdByKind: PrincipalKind;

  @Column({ name: 'created_by_id', type: 'uuid' })
  createdById: string;

  @Field(() => Date, { nullable: true })
  @TimestampColumn('last_used_at', { nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @TimestampColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by_kind', type: 'varchar', length: 8, nullable: true })
  revokedByKind: PrincipalKind | null;

  @Column({ name: 'revoked_by_id', type: 'uuid', nullable: true })
  revokedById: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'revoked_reason', type: 'varchar', length: 500, nullable: true })
  revokedReason: string | null;

  /** A per-key limit below the plan's; null means the plan's limit applies. */
  @Field(() => Int, { nullable: true, description: 'Requests per minute; null means the organization plan’s limit.' })
  @Column({ name: 'rate_limit_per_minute', type: 'integer', nullable: true })
  rateLimitPerMinute: number | null;

  /** 0: no expiry alert sent; 7: the 7-day alert was sent; 1: the last-day alert was sent. */
  @Column({ name: 'expiry_alert_stage', type: 'smallint', default: 0 })
  expiryAlertStage: number;

  /** Deleted keys stay as rows so audit actors still resolve; every list and lookup hides them. */
  @TimestampColumn('deleted_at', { nullable: true })
  deletedAt: Date | null;

  @Field(() => ApiKeyStatus)
  get status(): ApiKeyStatus {
    if (this.storedStatus === ApiKeyStatus.REVOKED) return ApiKeyStatus.REVOKED;
    if (this.expiresAt && this.expiresAt.getTime() <= Date.now()) return ApiKeyStatus.EXPIRED;
    return this.storedStatus;
  }

  @Field({ description: 'Safe to display anywhere, e.g. `sk_live_a1b2…9f3c`.' })
  get maskedKey(): string {
    return `${this.prefix}…${this.last4}`;
  }
}
