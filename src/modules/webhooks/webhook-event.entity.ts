import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAtColumn, TimestampColumn, OrgIdColumn } from '../../db/columns';

/**
 * The outbox. Every audit event writes one row here in the same transaction as the change, so a
 * committed change always gets its event and a rolled-back one never does. The dispatcher fans
 * undispatched rows out to subscribed webhooks as durable pg-boss jobs.
 */
@Entity('webhook_events')
@Index('webhook_events_undispatched_idx', ['createdAt'], { where: 'dispatched_at IS NULL' })
export class WebhookEvent {
  /** Also the Standard Webhooks `webhook-id`: receivers deduplicate on it. */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @OrgIdColumn()
  orgId: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  /** The JSON body sent to receivers. Never holds a secret. */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @CreatedAtColumn()
  createdAt: Date;

  @TimestampColumn('dispatched_at', { nullable: true })
  dispatchedAt: Date | null;
}
