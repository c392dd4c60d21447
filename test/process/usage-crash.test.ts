import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { ViewerKindDocument } from '../generated/graphql';
import { fetchGql } from '../support/graphql-request';
import { TestApp } from '../support/harness';
import { PROCESS_TIMEOUT_MS, startServerProcess, type ServerProcess } from '../support/processes';
import { until } from '../support/until';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * What a crash loses of usage and clicks (issue 20), on real keygate processes. With Redis, every
 * acknowledged request and redirect is in the Redis journal within one USAGE_JOURNAL_INTERVAL_MS:
 * after `kill -9` another process drains it, and the counts are exact (never more, never less).
 * Without Redis, a graceful SIGTERM loses nothing (a crash loses up to USAGE_FLUSH_INTERVAL_MS,
 * stated in the README, not tested: it is the absence of a guarantee).
 */
const N = 50;
const M = 20;
let t: TestApp;
let dataDir: string;
const running: ServerProcess[] = [];

beforeAll(async () => {
  t = await TestApp.create();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-usage-crash-'));
  chmodSync(dataDir, 0o755);
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess(t.databaseUrl, dataDir, { JOBS_ENABLED: 'false', ...env });
  running.push(server);
  return server;
}

/** N acknowledged requests with a fresh key and M redirects through a fresh link; returns their ids. */
async function traffic(server: ServerProcess): Promise<{ keyId: string; linkId: string }> {
  const key = await t.createKey({ stats: ['read'] });
  const link = await t.app.services.shortLinks.create(t.owner.caller, { url: 'https://example.com/crash' });
  for (let i = 0; i < N; i++) {
    const res = await fetchGql(server.url, ViewerKindDocument, {}, { 'x-api-key': key.secret });
    expect(res.status).toBe(200);
  }
  for (let i = 0; i < M; i++) {
    const res = await fetch(`http://127.0.0.1:${server.port}/${link.slug}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
  }
  return { keyId: key.id, linkId: link.id };
}

async function stored(ids: { keyId: string; linkId: string }) {
  const [usage] = await t.dataSource.query(
    `SELECT (SELECT coalesce(sum(requests), 0)::int FROM api_key_usage WHERE api_key_id = $1) AS requests,
            (SELECT last_used_at FROM api_keys WHERE id = $1) AS "lastUsedAt",
            (SELECT click_count::int FROM short_links WHERE id = $2) AS clicks,
            (SELECT count(*)::int FROM link_clicks WHERE link_id = $2) AS "clickRows"`,
    [ids.keyId, ids.linkId],
  );
  return usage as { requests: number; lastUsedAt: Date | null; clicks: number; clickRows: number };
}

const redisUrl = process.env.REDIS_URL;
const withRedis = redisUrl ? describe : describe.skip;

withRedis('with Redis (REDIS_URL; CI sets it when Redis answers on 127.0.0.1:6379)', () => {
  let redis: Redis;
  const prefix = `kgtest:${randomBytes(4).toString('hex')}:`;
  beforeAll(() => {
    redis = new Redis(redisUrl!);
  });
  afterAll(async () => {
    const left = await redis.keys(`${prefix}*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
  });

  it('kill -9 after N requests and M redirects: a second process drains the journal; requestCount N, clicks M, exactly', async () => {
    // The first process never drains (a minute's interval): everything it acknowledged reaches
    // PostgreSQL only through the journal, after it is killed.
    const first = await start({ REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix, USAGE_FLUSH_INTERVAL_MS: '60000' });
    const ids = await traffic(first);
    // The event the guarantee rests on: the journal holds all of it (within one 100 ms tick).
    await until('the journal holds N requests and M clicks', async () => {
      const fields = await redis.hgetall(`${prefix}wb:usage:live`);
      const requests = Object.entries(fields)
        .filter(([f]) => f.startsWith('c:') && f.endsWith(ids.keyId))
        .reduce((n, [, v]) => n + Number(v), 0);
      return requests === N && (await redis.llen(`${prefix}wb:clicks:live`)) === M;
    });
    first.child.kill('SIGKILL');
    expect((await first.exit).code).toBeNull();
    expect(await stored(ids)).toEqual({ requests: 0, lastUsedAt: null, clicks: 0, clickRows: 0 });

    const second = await start({ REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix, USAGE_FLUSH_INTERVAL_MS: '200' });
    // Drained: no live key, and no drain recorded and not yet released (its rows are committed).
    const journal = ['usage:live', 'clicks:live', 'usage:drains', 'clicks:drains'].map((k) => `${prefix}wb:${k}`);
    await until('the second process drained the journal', async () => (await redis.exists(...journal)) === 0, 60_000);
    const after = await stored(ids);
    expect({ ...after, lastUsedAt: after.lastUsedAt instanceof Date }).toEqual({ requests: N, lastUsedAt: true, clicks: M, clickRows: M });

    // Its own shutdown drains again: nothing is counted twice.
    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
    expect(await stored(ids)).toEqual(after);
    expect(await redis.hlen(`${prefix}wb:usage:drains`)).toBe(0);
  });
});

describe('without Redis', () => {
  it('SIGTERM after N requests and M redirects loses nothing: requestCount N, clicks M, exactly', async () => {
    // A minute's interval: only the flush at SIGTERM can store them.
    const server = await start({ USAGE_FLUSH_INTERVAL_MS: '60000' });
    const ids = await traffic(server);
    server.child.kill('SIGTERM');
    expect((await server.exit).code).toBe(0);
    const after = await stored(ids);
    expect({ ...after, lastUsedAt: after.lastUsedAt instanceof Date }).toEqual({ requests: N, lastUsedAt: true, clicks: M, clickRows: M });
  });
});
