import { OrgOwnedEntity } from '../../core/org-owned.entity';
import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, TimestampColumn } from '../../db/columns';
import { Requires } from '../../graphql/requires.directive';

/** An endpoint that receives signed events. Its signing secret is stored sealed (AES-256-GCM). */
@Entity('webhooks')
@Index('webhooks_org_created_idx', ['orgId', 'createdAt', 'id'])
@ObjectType()
@Requires('webhooks', 'read')
export class Webhook extends OrgOwnedEntity {
  @Field()
  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @Field(() => [String])
  @Column({ type: 'text', array: true })
  events: string[];

  @Field()
  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** `SecretBox.seal(whsec_…)`; never returned after creation or rotation. */
  @Column({ name: 'secret_sealed', type: 'varchar', length: 256 })
  secretSealed: string;

  @Field(() => Date)
  @CreatedAtColumn()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  @TimestampColumn('last_delivery_at', { nullable: true })
  lastDeliveryAt: Date | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt; null when it got no response.' })
  @Column({ name: 'last_delivery_status', type: 'integer', nullable: true })
  lastDeliveryStatus: number | null;

  @Field(() => Int)
  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures: number;
}
