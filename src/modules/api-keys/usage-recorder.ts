import type { DataSource } from 'typeorm';
import { WriteBehindBuffer } from '../../db/write-behind';

export interface PendingUsage {
  keyId: string;
  day: string;
  requests: number;
  lastUsedAt: Date;
}

/** Counts key usage per key and UTC day in memory; one upsert statement per chunk of a flush. */
export class UsageRecorder extends WriteBehindBuffer<PendingUsage> {
  private pending = new Map<string, PendingUsage>();

  constructor(
    private readonly dataSource: DataSource,
    capacity?: number,
    onDrop?: (dropped: number, total: number) => void,
    chunkSize?: number,
  ) {
    super(capacity, onDrop, chunkSize);
  }

  record(keyId: string, at = new Date()): void {
    this.add({ keyId, day: at.toISOString().slice(0, 10), requests: 1, lastUsedAt: at });
  }

  get pendingCount(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.requests;
    return n;
  }

  private add(p: PendingUsage): void {
    const slot = `${p.keyId}|${p.day}`;
    const entry = this.pending.get(slot);
    if (!entry) {
      // One entry per key and day: only a very long outage with very many keys fills it.
      if (this.pending.size >= this.capacity) {
        this.overflow();
        return;
      }
      this.pending.set(slot, { ...p });
      return;
    }
    entry.requests += p.requests;
    if (p.lastUsedAt > entry.lastUsedAt) entry.lastUsedAt = p.lastUsedAt;
  }

  protected take(): PendingUsage[] | null {
    if (this.pending.size === 0) return null;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    return batch;
  }

  protected restore(batch: PendingUsage[]): void {
    for (const p of batch) this.add(p);
  }

  protected async write(batch: PendingUsage[]): Promise<void> {
    await this.dataSource.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::date[], $3::int[], $4::timestamptz[]) AS t(api_key_id, day, requests, last_used_at)
       ), counted AS (
         INSERT INTO api_key_usage (api_key_id, day, requests)
         SELECT i.api_key_id, i.day, i.requests FROM input i JOIN api_keys k ON k.id = i.api_key_id
         ON CONFLICT (api_key_id, day) DO UPDATE SET requests = api_key_usage.requests + EXCLUDED.requests
       )
       UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, latest.at)
         FROM (SELECT api_key_id, max(last_used_at) AS at FROM input GROUP BY api_key_id) latest
        WHERE k.id = latest.api_key_id`,
      [batch.map((p) => p.keyId), batch.map((p) => p.day), batch.map((p) => p.requests), batch.map((p) => p.lastUsedAt)],
    );
  }
}
