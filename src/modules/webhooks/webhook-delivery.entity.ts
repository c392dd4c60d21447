import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAtColumn, TimestampColumn, OrgIdColumn } from '../../db/columns';
import { Requires } from '../../graphql/requires.directive';
import { WebhookEvent } from './webhook-event.entity';
import { Webhook } from './webhook.entity';

/** One attempt to deliver one event to one webhook. */
@Entity('webhook_deliveries')
@Index('webhook_deliveries_webhook_created_idx', ['webhookId', 'createdAt', 'id'])
@Index('webhook_deliveries_attempt_key', ['webhookId', 'eventId', 'attempt'], { unique: true })
@ObjectType()
@Requires('webhooks', 'read')
export class WebhookDelivery {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @OrgIdColumn()
  orgId: string;

  @Field(() => ID)
  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook?: Webhook;

  @Field(() => ID)
  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @ManyToOne(() => WebhookEvent, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: WebhookEvent;

  @Field()
  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  @Field(() => Int, { description: '1 for the first try.' })
  @Column({ type: 'integer' })
  attempt: number;

  @Field()
  @Column({ type: 'boolean' })
  succeeded: boolean;

  @Field(() => Int, { nullable: true })
  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode: number | null;

  @Field(() => Int)
  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs: number;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 500, nullable: true })
  error: string | null;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due; null when none will follow.' })
  @TimestampColumn('next_retry_at', { nullable: true })
  nextRetryAt: Date | null;

  @Field(() => Date)
  @CreatedAtColumn()
  createdAt: Date;
}
