import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { TimestampColumn, OrgIdColumn } from '../../db/columns';
import { ShortLink } from '../short-links/short-link.entity';
import type { DeviceClass } from './user-agent';

/** One redirect. Written in batches by the ClickRecorder, never on the redirect's own path. */
@Entity('link_clicks')
@Index('link_clicks_link_time_idx', ['linkId', 'clickedAt'])
@Index('link_clicks_org_time_idx', ['orgId', 'clickedAt'])
export class LinkClick {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @OrgIdColumn()
  orgId: string;

  @Column({ name: 'link_id', type: 'uuid' })
  linkId: string;

  @ManyToOne(() => ShortLink, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'link_id' })
  link?: ShortLink;

  @TimestampColumn('clicked_at')
  clickedAt: Date;

  @Column({ name: 'referrer_host', type: 'varchar', length: 253, nullable: true })
  referrerHost: string | null;

  @Column({ name: 'user_agent_family', type: 'varchar', length: 32 })
  userAgentFamily: string;

  @Column({ type: 'char', length: 2, nullable: true })
  country: string | null;

  /** desktop, mobile, tablet, bot or other, from the whole user agent at click time (user-agent.ts). */
  @Column({ type: 'varchar', length: 8, default: 'other' })
  device: DeviceClass;
}
