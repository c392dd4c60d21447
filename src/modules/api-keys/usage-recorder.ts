import type Redis from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';
import { WriteBehindBuffer } from '../../db/write-behind';
import type { PendingUsage } from './pending-usage';
import { UsageJournal } from './usage-journal';

export type { PendingUsage } from './pending-usage';

/** One key's usage on one day, as counted in memory: numbers only, updated in place. */
interface Tally {
  requests: number;
  /** Epoch milliseconds. */
  lastUsedMs: number;
}

const DAY_MS = 86_400_000;

/**
 * Counts key usage per key and UTC day in memory; one upsert statement per chunk of a flush.
 *
 * `record` runs on every admitted request, so it allocates nothing once a key has been seen that
 * day: no `Date`, no ISO string, no composite map key. Tallies are kept per day (the UTC day's
 * string is computed once, when a timestamp falls outside the cached day), then per key id.
 */
export class UsageRecorder extends WriteBehindBuffer<PendingUsage> {
  /** day (`YYYY-MM-DD`) → key id → tally. Nearly always one day; two around midnight UTC. */
  private days = new Map<string, Map<string, Tally>>();
  private entries = 0;
  /** The cached UTC day: its tallies and its bounds [start, end) in epoch milliseconds. */
  private today: Map<string, Tally> | null = null;
  private todayStart = 0;
  private todayEnd = 0;

  constructor(
    private readonly dataSource: DataSource,
    capacity?: number,
    onDrop?: (dropped: number, total: number) => void,
    chunkSize?: number,
  ) {
    super(capacity, onDrop, chunkSize);
  }

  /** Counts one request of `keyId` at `at` (epoch milliseconds or a Date; now by default). */
  record(keyId: string, at: number | Date = Date.now()): void {
    const ms = typeof at === 'number' ? at : at.getTime();
    const tallies = ms >= this.todayStart && ms < this.todayEnd && this.today ? this.today : this.dayOf(ms);
    const tally = tallies.get(keyId);
    if (tally) {
      tally.requests++;
      if (ms > tally.lastUsedMs) tally.lastUsedMs = ms;
      return;
    }
    this.insert(tallies, keyId, 1, ms);
  }

  /** Requests counted and not yet handed on. */
  get pendingCount(): number {
    let n = 0;
    for (const tallies of this.days.values()) for (const t of tallies.values()) n += t.requests;
    return n;
  }

  /** Key-days held in memory (the unit of `capacity`). */
  get bufferedEntries(): number {
    return this.entries;
  }

  journalIn(redis: Redis, base: string): UsageJournal {
    return new UsageJournal(redis, base, this.dataSource, this, { chunkSize: this.chunkSize });
  }

  /** The tallies of the UTC day holding `ms`, made the cached day when it is the latest seen. */
  private dayOf(ms: number): Map<string, Tally> {
    const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    const day = new Date(start).toISOString().slice(0, 10);
    let tallies = this.days.get(day);
    if (!tallies) {
      tallies = new Map();
      this.days.set(day, tallies);
    }
    if (start >= this.todayStart || !this.today) {
      this.today = tallies;
      this.todayStart = start;
      this.todayEnd = start + DAY_MS;
    }
    return tallies;
  }

  private insert(tallies: Map<string, Tally>, keyId: string, requests: number, lastUsedMs: number): void {
    // One entry per key and day: only a very long outage with very many keys fills it.
    if (this.entries >= this.capacity) {
      this.overflow();
      return;
    }
    tallies.set(keyId, { requests, lastUsedMs });
    this.entries++;
  }

  private add(p: PendingUsage): void {
    const ms = p.lastUsedAt.getTime();
    let tallies = this.days.get(p.day);
    if (!tallies) {
      tallies = new Map();
      this.days.set(p.day, tallies);
    }
    const tally = tallies.get(p.keyId);
    if (!tally) {
      this.insert(tallies, p.keyId, p.requests, ms);
      return;
    }
    tally.requests += p.requests;
    if (ms > tally.lastUsedMs) tally.lastUsedMs = ms;
  }

  protected take(): PendingUsage[] | null {
    if (this.entries === 0) return null;
    const batch: PendingUsage[] = [];
    for (const [day, tallies] of this.days) {
      for (const [keyId, t] of tallies) batch.push({ keyId, day, requests: t.requests, lastUsedAt: new Date(t.lastUsedMs) });
    }
    this.days = new Map();
    this.entries = 0;
    this.today = null;
    this.todayStart = this.todayEnd = 0;
    return batch;
  }

  protected restore(batch: PendingUsage[]): void {
    for (const p of batch) this.add(p);
  }

  protected async write(batch: PendingUsage[], db: DataSource | EntityManager = this.dataSource): Promise<void> {
    await db.query(
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
