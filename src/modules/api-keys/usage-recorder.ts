import type { DataSource } from 'typeorm';

interface Pending {
  keyId: string;
  day: string;
  requests: number;
  lastUsedAt: Date;
}

/**
 * Counts key usage in memory and writes it in one batched statement every few seconds and at
 * shutdown, so authenticating a request never costs a database write. If a flush fails, its
 * counts are merged back and retried on the next flush rather than dropped.
 */
export class UsageRecorder {
  private pending = new Map<string, Pending>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(private readonly dataSource: DataSource) {}

  record(keyId: string, at = new Date()): void {
    const day = at.toISOString().slice(0, 10);
    const slot = `${keyId}|${day}`;
    const entry = this.pending.get(slot);
    if (entry) {
      entry.requests += 1;
      entry.lastUsedAt = at;
    } else {
      this.pending.set(slot, { keyId, day, requests: 1, lastUsedAt: at });
    }
  }

  get pendingCount(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.requests;
    return n;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Writes everything recorded so far. Concurrent calls share one flush. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.write(batch)
      .catch((error) => {
        for (const p of batch) {
          const slot = `${p.keyId}|${p.day}`;
          const entry = this.pending.get(slot);
          if (entry) {
            entry.requests += p.requests;
            if (p.lastUsedAt > entry.lastUsedAt) entry.lastUsedAt = p.lastUsedAt;
          } else this.pending.set(slot, p);
        }
        throw error;
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  private async write(batch: Pending[]): Promise<void> {
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
