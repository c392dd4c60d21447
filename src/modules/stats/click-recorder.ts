import type { FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';
import { WriteBehindBuffer } from '../../db/write-behind';
import type { Click } from './click';
import { ClickJournal } from './click-journal';
import { countryCode, deviceClass, referrerHost, userAgentFamily } from './user-agent';

export type { Click } from './click';

/**
 * Clicks from redirects, one statement per chunk of a flush (rows + each link's counter). It is
 * the short links' redirect observer: each redirect's referrer, user agent (its family and device class) and
 * (behind a trusted proxy) country become one click.
 */
export class ClickRecorder extends WriteBehindBuffer<Click> {
  private pending: Click[] = [];

  constructor(
    private readonly dataSource: DataSource,
    capacity?: number,
    onDrop?: (dropped: number, total: number) => void,
    chunkSize?: number,
    /** A header set by a trusted proxy with the client's country (CLICK_COUNTRY_HEADER). */
    private readonly countryHeader?: string,
  ) {
    super(capacity, onDrop, chunkSize);
  }

  redirected(link: { id: string; orgId: string }, request: FastifyRequest): void {
    this.record({
      linkId: link.id,
      orgId: link.orgId,
      clickedAt: new Date(),
      referrerHost: referrerHost(request.headers.referer),
      userAgentFamily: userAgentFamily(request.headers['user-agent']),
      country: this.countryHeader ? countryCode(request.headers[this.countryHeader]) : null,
      device: deviceClass(request.headers['user-agent']),
    });
  }

  record(click: Click): void {
    if (this.pending.length >= this.capacity) {
      this.overflow();
      return;
    }
    this.pending.push(click);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  get bufferedEntries(): number {
    return this.pending.length;
  }

  journalIn(redis: Redis, base: string): ClickJournal {
    return new ClickJournal(redis, base, this.dataSource, this, { chunkSize: this.chunkSize });
  }

  protected take(): Click[] | null {
    if (this.pending.length === 0) return null;
    const batch = this.pending;
    this.pending = [];
    return batch;
  }

  protected restore(batch: Click[]): void {
    const merged = batch.concat(this.pending);
    // The oldest are kept (they were counted first); whatever no longer fits is counted as dropped.
    for (let i = this.capacity; i < merged.length; i++) this.overflow();
    this.pending = merged.slice(0, this.capacity);
  }

  protected async write(batch: Click[], db: DataSource | EntityManager = this.dataSource): Promise<void> {
    await db.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::varchar[], $5::varchar[], $6::char(2)[], $7::varchar[])
           AS t(link_id, org_id, clicked_at, referrer_host, user_agent_family, country, device)
       ), live AS (
         -- A link deleted since its click was buffered takes its clicks with it.
         SELECT i.* FROM input i JOIN short_links l ON l.id = i.link_id
       ), inserted AS (
         INSERT INTO link_clicks (link_id, org_id, clicked_at, referrer_host, user_agent_family, country, device)
         SELECT link_id, org_id, clicked_at, referrer_host, user_agent_family, country, device FROM live
       )
       UPDATE short_links l SET click_count = l.click_count + c.n
         FROM (SELECT link_id, count(*) AS n FROM live GROUP BY link_id) c
        WHERE l.id = c.link_id`,
      [
        batch.map((c) => c.linkId),
        batch.map((c) => c.orgId),
        batch.map((c) => c.clickedAt),
        batch.map((c) => c.referrerHost),
        batch.map((c) => c.userAgentFamily),
        batch.map((c) => c.country),
        batch.map((c) => c.device),
      ],
    );
  }
}
