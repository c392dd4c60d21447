import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';

/** What an append to the journal came to. */
export interface AppendOutcome {
  /** Redis was not connected: nothing was sent, the caller keeps the entries (and writes them to PostgreSQL). */
  unsent: boolean;
  /** Entries Redis refused because the journal is full (PostgreSQL away for long). */
  dropped: number;
}

/** The statement that applies one chunk of entries, run inside a drain's transaction. */
export interface ChunkWriter<TItem> {
  writeChunk(chunk: TItem[], db: EntityManager): Promise<void>;
}

export interface JournalOptions {
  /** Entries per transaction when a drain writes to PostgreSQL (recorded with the drain, see `begin`). */
  chunkSize: number;
  /** How long a drain may hold the cluster-wide drain lock before another node may start one. */
  lockMs?: number;
}

/** How long an append's token is remembered, so a retried append is applied once. */
const APPEND_TOKEN_TTL_MS = 600_000;
/** An append unanswered this long is given up (dropped, counted): past its token's life a retry could count it twice. */
const GIVE_UP_AFTER_MS = APPEND_TOKEN_TTL_MS / 2;
/** Applied drain ids are kept this long (a leftover is always completed long before). */
const APPLIED_RETENTION = '1 day';
const PRUNE_EVERY_MS = 600_000;

/**
 * RENAMEs the live key to a draining key and records the drain (id → chunk size) in one step, so
 * a drain that dies half-way is found and completed by the next one, in the same chunks.
 * KEYS: live, draining, drains hash. ARGV: drain id, chunk size. Returns 1 when there was something.
 */
const BEGIN_DRAIN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1`;

/** Deletes the lock only if this drain still holds it. */
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Registers the journal's Lua scripts on a connection once (ioredis sends EVALSHA, EVAL on NOSCRIPT). */
export function defineScripts(redis: Redis, scripts: Record<string, { numberOfKeys: number; lua: string }>): void {
  for (const [name, { numberOfKeys, lua }] of Object.entries(scripts)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

/**
 * A write-behind buffer's journal in Redis: what a crash of this process can no longer lose.
 *
 * - **Append** (every tick, ~100 ms): the buffer hands its entries over; one pipeline, one round
 *   trip, whatever the number of entries. Each append carries a token the script records (SET NX)
 *   before applying, so an append whose answer was lost (a timeout) is retried with its token and
 *   applied exactly once. Until Redis answers, that batch stays in this process.
 * - **Drain** (every flush interval, any node; one at a time under a short lock, but correct
 *   without it): RENAME the live key to `…:draining:<id>` and record `<id>` in the drains hash,
 *   atomically; read it; write it to PostgreSQL in chunks, each chunk ONE transaction that also
 *   inserts `<id>:<chunk>` into `write_behind_drains` (primary key), so a chunk already written is
 *   skipped; then DEL the draining key and its record. A drain that died between commit and DEL,
 *   or half-way, is completed by the next drain: nothing is counted twice, nothing lost.
 */
export abstract class WriteJournal<TItem> {
  /** Appends whose outcome Redis has not told (their tokens make a retry safe). */
  private unconfirmed: { token: string; items: TItem[]; sentAt: number }[] = [];
  private prunedAt = 0;
  readonly liveKey: string;
  readonly drainsKey: string;
  private readonly lockKey: string;

  /**
   * @param base  the journal's Redis key prefix (`keygate:wb:usage`); every key it uses starts with it
   */
  constructor(
    protected readonly redis: Redis,
    readonly base: string,
    private readonly dataSource: DataSource,
    private readonly writer: ChunkWriter<TItem>,
    private readonly options: JournalOptions,
  ) {
    this.liveKey = `${base}:live`;
    this.drainsKey = `${base}:drains`;
    this.lockKey = `${base}:lock`;
    defineScripts(redis, {
      keygateJournalBegin: { numberOfKeys: 3, lua: BEGIN_DRAIN },
      keygateJournalUnlock: { numberOfKeys: 1, lua: UNLOCK },
    });
  }

  /** Queues the append of `items` to `liveKey` on `pipeline`, guarded by `tokenKey` (see the scripts). */
  protected abstract queueAppend(pipeline: ChainableCommander, tokenKey: string, tokenTtlMs: number, items: TItem[]): void;
  /** Reads a draining key's entries, in an order that is the same on every read. */
  protected abstract read(key: string): Promise<TItem[]>;

  drainingKey(id: string): string {
    return `${this.base}:draining:${id}`;
  }

  /** Entries whose append Redis has not confirmed. */
  get unconfirmedEntries(): number {
    return this.unconfirmed.reduce((n, u) => n + u.items.length, 0);
  }

  /** Appends `items` (and retries unconfirmed appends) in one round trip. */
  async append(items: TItem[]): Promise<AppendOutcome> {
    if (items.length === 0 && this.unconfirmed.length === 0) return { unsent: false, dropped: 0 };
    let dropped = 0;
    const now = Date.now();
    for (const u of this.unconfirmed) if (now - u.sentAt >= GIVE_UP_AFTER_MS) dropped += u.items.length;
    this.unconfirmed = this.unconfirmed.filter((u) => now - u.sentAt < GIVE_UP_AFTER_MS);
    if (this.redis.status !== 'ready') return { unsent: true, dropped };
    const sends = items.length ? [...this.unconfirmed, { token: randomUUID(), items, sentAt: now }] : this.unconfirmed;
    this.unconfirmed = [];
    const pipeline = this.redis.pipeline();
    for (const s of sends) this.queueAppend(pipeline, `${this.base}:appended:${s.token}`, APPEND_TOKEN_TTL_MS, s.items);
    const replies = await pipeline.exec().catch(() => null);
    sends.forEach((s, i) => {
      const [error, result] = replies?.[i] ?? [new Error('no reply'), null];
      // Sent, but no answer: it may or may not have been applied. Only its token may retry it.
      if (error) this.unconfirmed.push(s);
      else if (Number(result) > 0) dropped += Number(result);
    });
    return { unsent: false, dropped };
  }

  /** At shutdown: appends never confirmed are given up (counted as dropped by the caller), never counted twice. */
  abandonUnconfirmed(): number {
    const n = this.unconfirmedEntries;
    this.unconfirmed = [];
    return n;
  }

  /**
   * Moves the journal into PostgreSQL: first drains left by a crash or a failure, then what was
   * appended since. Skipped while Redis is unreachable (its content waits there) or while another
   * node drains.
   */
  async drain(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const lock = randomUUID();
    const lockMs = this.options.lockMs ?? 10_000;
    if ((await this.redis.set(this.lockKey, lock, 'PX', lockMs, 'NX')) !== 'OK') return;
    try {
      await this.completeLeftovers();
      const id = randomUUID();
      const begin = (this.redis as unknown as Record<string, Script>).keygateJournalBegin;
      const began = await begin.call(this.redis, this.liveKey, this.drainingKey(id), this.drainsKey, id, this.options.chunkSize);
      if (Number(began) === 1) await this.complete(id, this.options.chunkSize);
      await this.pruneApplied();
    } finally {
      const unlock = (this.redis as unknown as Record<string, Script>).keygateJournalUnlock;
      await unlock.call(this.redis, this.lockKey, lock).catch(() => undefined);
    }
  }

  /** Completes every drain recorded in Redis and not yet released. Safe to run on several nodes at once. */
  async completeLeftovers(): Promise<void> {
    const drains = await this.redis.hgetall(this.drainsKey);
    for (const [id, chunkSize] of Object.entries(drains)) await this.complete(id, Number(chunkSize) || this.options.chunkSize);
  }

  /** Writes one draining key to PostgreSQL, each chunk once, then releases it. */
  protected async complete(id: string, chunkSize: number): Promise<void> {
    const items = await this.read(this.drainingKey(id));
    for (let i = 0, start = 0; start < items.length; i++, start += chunkSize) {
      if (start > 0) await nextTurn();
      const chunk = items.slice(start, start + chunkSize);
      await this.dataSource.transaction(async (manager) => {
        const fresh: unknown[] = await manager.query(
          'INSERT INTO write_behind_drains (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id',
          [`${id}:${i}`],
        );
        // Another drainer (or this drain before a crash) committed this chunk: skip it.
        if (fresh.length > 0) await this.writer.writeChunk(chunk, manager);
      });
    }
    await this.release(id);
  }

  /** Forgets a drain whose every chunk is in PostgreSQL. */
  protected async release(id: string): Promise<void> {
    await this.redis.multi().del(this.drainingKey(id)).hdel(this.drainsKey, id).exec();
  }

  private async pruneApplied(): Promise<void> {
    if (Date.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = Date.now();
    await this.dataSource.query(`DELETE FROM write_behind_drains WHERE drained_at < now() - interval '${APPLIED_RETENTION}'`);
  }
}
