import { JSONResolver } from 'graphql-scalars';
import { OrgOwnedEntity } from '../../core/org-owned.entity';
import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import type { PrincipalKind } from '../../auth/principal';
import { CreatedAtColumn } from '../../db/columns';

/**
 * Who did what to which target. Actor and target names are copied in at write time, so the
 * log still reads correctly after a key is deleted or a member leaves.
 */
@Entity('audit_events')
@Index('audit_events_org_created_idx', ['orgId', 'createdAt', 'id'])
@Index('audit_events_org_target_idx', ['orgId', 'targetId'])
@ObjectType()
export class AuditEvent extends OrgOwnedEntity {
  @Field()
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'actor_kind', type: 'varchar', length: 8 })
  actorKind: PrincipalKind | 'SYSTEM';

  @Column({ name: 'actor_id', type: 'uuid' })
  actorId: string;

  @Column({ name: 'actor_name', type: 'varchar', length: 200 })
  actorName: string;

  @Field()
  @Column({ name: 'target_type', type: 'varchar', length: 32 })
  targetType: string;

  @Field(() => ID, { nullable: true })
  @Column({ name: 'target_id', type: 'uuid', nullable: true })
  targetId: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'target_name', type: 'varchar', length: 200, nullable: true })
  targetName: string | null;

  @Field(() => JSONResolver, { nullable: true })
  @Column({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Field(() => Date)
  @CreatedAtColumn()
  createdAt: Date;
}
