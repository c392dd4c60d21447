import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { DataSource } from 'typeorm';
import { defineScripts, WriteJournal, type ChunkWriter, type JournalOptions } from '../../db/write-journal';
import type { Click } from './click';
import type { DeviceClass } from './user-agent';

const READ_PAGE = 1_000;

/** Clicks the live list holds at most (PostgreSQL away for long): about 120 bytes each in Redis. */
export const JOURNAL_CLICK_CAPACITY = 1_000_000;

/**
 * One append of clicks, applied once (its token): RPUSH of compact rows, up to the list's capacity;
 * returns how many did not fit. KEYS: live list, token. ARGV: token TTL ms, capacity, rows…
 */
const APPEND_CLICKS = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return -1 end
local room = tonumber(ARGV[2]) - redis.call('LLEN', KEYS[1])
local last = math.min(#ARGV, 2 + math.max(room, 0))
local i = 3
while i <= last do
  local j = math.min(i + 999, last)
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, j))
  i = j + 1
end
return #ARGV - last`;

type AppendScript = (live: string, token: string, ttl: number, capacity: number, ...rows: string[]) => unknown;

/** A click as a JSON array (link, org, epoch ms, referrer host, user-agent family, country, device). */
type Row = [string, string, number, string | null, string, string | null, DeviceClass];

export function encodeClick(c: Click): string {
  const row: Row = [c.linkId, c.orgId, c.clickedAt.getTime(), c.referrerHost, c.userAgentFamily, c.country, c.device];
  return JSON.stringify(row);
}

export function decodeClick(text: string): Click | null {
  try {
    const [linkId, orgId, ms, referrerHost, userAgentFamily, country, device] = JSON.parse(text) as Row;
    return { linkId, orgId, clickedAt: new Date(ms), referrerHost, userAgentFamily, country, device };
  } catch {
    return null;
  }
}

/** The click recorder's journal: one list of rows, in arrival order. */
export class ClickJournal extends WriteJournal<Click> {
  constructor(redis: Redis, base: string, dataSource: DataSource, writer: ChunkWriter<Click>, options: JournalOptions) {
    super(redis, base, dataSource, writer, options);
    defineScripts(redis, { keygateAppendClicks: { numberOfKeys: 2, lua: APPEND_CLICKS } });
  }

  protected queueAppend(pipeline: ChainableCommander, tokenKey: string, tokenTtlMs: number, items: Click[]): void {
    const append = (pipeline as unknown as { keygateAppendClicks: AppendScript }).keygateAppendClicks;
    append.call(pipeline, this.liveKey, tokenKey, tokenTtlMs, JOURNAL_CLICK_CAPACITY, ...items.map(encodeClick));
  }

  protected async read(key: string): Promise<Click[]> {
    // In pages of 1,000 rows (an unchanging list: no row missed or repeated), so no reply is huge.
    const clicks: Click[] = [];
    for (let start = 0; ; start += READ_PAGE) {
      const rows = await this.redis.lrange(key, start, start + READ_PAGE - 1);
      // A row that does not decode (never written by this code) is skipped rather than blocking every drain.
      for (const row of rows) {
        const click = decodeClick(row);
        if (click) clicks.push(click);
      }
      if (rows.length < READ_PAGE) return clicks;
    }
  }
}
