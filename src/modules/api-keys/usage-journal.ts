import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { DataSource } from 'typeorm';
import { defineScripts, WriteJournal, type ChunkWriter, type JournalOptions } from '../../db/write-journal';
import type { PendingUsage } from './pending-usage';

/**
 * One append of usage, applied once (its token). The live hash holds `c:<day>:<keyId>` → requests
 * (HINCRBY) and `t:<keyId>` → the latest use in epoch ms (kept at its maximum).
 * KEYS: live hash, token. ARGV: token TTL ms, number of count pairs n, n × (field, requests), then (field, ms)…
 */
const APPEND_USAGE = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return -1 end
local n = tonumber(ARGV[2])
local i = 3
for _ = 1, n do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  local at = redis.call('HGET', KEYS[1], ARGV[i])
  if not at or tonumber(at) < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
return 0`;

type AppendScript = (live: string, token: string, ttl: number, n: number, ...pairs: (string | number)[]) => unknown;

/** The usage recorder's journal: counts per key and day, summed in Redis, not one row per request. */
export class UsageJournal extends WriteJournal<PendingUsage> {
  constructor(redis: Redis, base: string, dataSource: DataSource, writer: ChunkWriter<PendingUsage>, options: JournalOptions) {
    super(redis, base, dataSource, writer, options);
    defineScripts(redis, { keygateAppendUsage: { numberOfKeys: 2, lua: APPEND_USAGE } });
  }

  protected queueAppend(pipeline: ChainableCommander, tokenKey: string, tokenTtlMs: number, items: PendingUsage[]): void {
    const counts: (string | number)[] = [];
    const latest = new Map<string, number>();
    for (const p of items) {
      counts.push(`c:${p.day}:${p.keyId}`, p.requests);
      const ms = p.lastUsedAt.getTime();
      if (ms > (latest.get(p.keyId) ?? 0)) latest.set(p.keyId, ms);
    }
    const times: (string | number)[] = [];
    for (const [keyId, ms] of latest) times.push(`t:${keyId}`, ms);
    const append = (pipeline as unknown as { keygateAppendUsage: AppendScript }).keygateAppendUsage;
    append.call(pipeline, this.liveKey, tokenKey, tokenTtlMs, items.length, ...counts, ...times);
  }

  protected async read(key: string): Promise<PendingUsage[]> {
    // HSCAN in pages, not one HGETALL: parsing 20,000 fields at once blocked the event loop ~150 ms.
    // A field may come twice (SCAN's guarantee is "at least once"); the map keeps one.
    const fields = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, page] = await this.redis.hscan(key, cursor, 'COUNT', 1000);
      for (let i = 0; i < page.length; i += 2) fields.set(page[i], page[i + 1]);
      cursor = next;
    } while (cursor !== '0');
    const latest = new Map<string, Date>();
    for (const [field, value] of fields) if (field.startsWith('t:')) latest.set(field.slice(2), new Date(Number(value)));
    const usage: PendingUsage[] = [];
    for (const [field, value] of fields) {
      if (!field.startsWith('c:')) continue;
      const day = field.slice(2, 12);
      const keyId = field.slice(13);
      // The key's latest use (over every day journalled): last_used_at takes the greatest anyway.
      usage.push({ keyId, day, requests: Number(value), lastUsedAt: latest.get(keyId) ?? new Date(`${day}T00:00:00Z`) });
    }
    // The same chunks on every read: a drain completed by another node skips exactly what was written.
    return usage.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  }
}
