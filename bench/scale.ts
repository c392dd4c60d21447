// First, as in src/main.ts: V8's allocation-site pretenuring off (src/kernel/heap-tuning.ts).
import '../src/kernel/heap-tuning';
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pg from 'pg';
import { buildApp } from '../src/app';
import { VerificationCache, type VerifiedSecret } from '../src/auth/verification-cache';
import { createSessionTokens } from '../src/auth/session-tokens';
import { openDatabase } from '../src/db/open-database';
import { Role } from '../src/kernel/access';
import { loadConfig } from '../src/kernel/config';
import { Plan } from '../src/kernel/plans';
import { KEYGATE } from '../src/modules';
import { median } from './stats';

/**
 * The scale section, in its own process (`--expose-gc`), on keygate as configured for production
 * except that per-key rate limits are off (RATE_LIMITS_ENABLED=false, see scale-runner.ts: the
 * requests here come back to back, faster than any plan allows, and are not what is measured):
 * organizations of 1k and 100k keys (seeded with SQL) — a verification-cache miss, a deep page,
 * what `totalCount` adds — then one invalidation among 100k cached keys, the memory of a cache
 * entry, and a usage flush of 10k keys with the event loop watched. Sends its results over IPC.
 */
export interface ScaleOrg {
  keys: number;
  cacheHitMs: number;
  cacheMissMs: number;
  firstPageMs: number;
  deepPageMs: number;
  withTotalCountMs: number;
  withoutTotalCountMs: number;
}

export interface ScaleResults {
  orgs: ScaleOrg[];
  invalidation: { cachedKeys: number; keyMs: number; keyMsMax: number; memberMs: number; orgMs: number };
  cacheBytesPerEntry: number;
  flush: {
    keys: number;
    flushMs: number;
    eventLoopMaxMs: number;
    eventLoopP99Ms: number;
    pingMaxMs: number;
    pings: number;
    /** The same requests for as long without a flush. */
    controlMaxMs: number;
    controlP99Ms: number;
  };
}

const TRIALS = 15;

async function main() {
  const smoke = process.argv.includes('--smoke');
  const config = loadConfig(process.env);
  // Back-to-back requests on one key would trip the limits this section measures under.
  if (config.rateLimitsEnabled) throw new Error('the scale section runs with RATE_LIMITS_ENABLED=false (see scale-runner.ts)');
  const db = await openDatabase(config, { entities: KEYGATE.entities, migrate: false });
  const ds = db.dataSource;
  const app = await buildApp({ config, dataSource: ds, sessionTokens: await createSessionTokens(config) });
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.server.address() as { port: number }).port;
  const post = async (query: string, key: string, variables?: object) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (res.status !== 200 || body.errors) throw new Error(`scale: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return body.data!;
  };
  const time = async (trials: number, run: () => Promise<unknown>, before?: () => void): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < trials; i++) {
      before?.();
      const t = performance.now();
      await run();
      out.push(performance.now() - t);
    }
    return out;
  };
  const round = (n: number) => Number(n.toFixed(3));

  const orgs: ScaleOrg[] = [];
  let bigOrg = '';
  for (const keys of smoke ? [1_000, 5_000] : [1_000, 100_000]) {
    const boot = await app.services.organizations.bootstrap({
      name: `Scale ${keys}`,
      ownerEmail: `owner${keys}@scale.test`,
      plan: Plan.ENTERPRISE,
    });
    const org = boot.organization.id;
    bigOrg = org;
    // Seeding is not measured: its own connection, without the server's statement timeout.
    const seeder = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await seeder.connect();
    // In chunks: every inserted key also updates its organization's row (the live-key counter),
    // and 100k updates of one row in a single transaction take minutes.
    const CHUNK = 2_000;
    for (let from = 1; from < keys; from += CHUNK) {
      await seeder.query(
        `WITH made AS (
           INSERT INTO api_keys (org_id, name, type, permissions, prefix, last4, created_by_kind, created_by_id, created_at)
           SELECT $1, 'scale key ' || g, 'BOT', '{"stats":["read"]}', 'sk_live_' || substr(md5(g::text), 1, 4), substr(md5(g::text), 5, 4),
                  'USER', $2::uuid, now() - make_interval(secs => g)
             FROM generate_series($3::int, $4::int) g
           RETURNING id, prefix, last4)
         INSERT INTO api_key_secrets (api_key_id, secret_hash, prefix, last4)
         SELECT id, encode(sha256(convert_to(id::text, 'UTF8')), 'hex'), prefix, last4 FROM made`,
        [org, boot.owner.id, from, Math.min(keys - 1, from + CHUNK - 1)],
      );
    }
    await seeder.query('ANALYZE api_keys; ANALYZE api_key_secrets');
    await seeder.end();
    const key = boot.apiKey.secret;
    const viewer = () => post('{ viewer { kind } }', key);
    await viewer();
    const hit = await time(TRIALS, viewer);
    const miss = await time(TRIALS, viewer, () => app.cache?.clear());
    const list = (extra: string, after?: string) =>
      post(`query ($after: String) { apiKeys(first: 50, after: $after) { ${extra} nodes { id name } } }`, key, { after });
    const last = (await post('{ apiKeys(last: 51) { pageInfo { startCursor } } }', key)) as {
      apiKeys: { pageInfo: { startCursor: string } };
    };
    const cursor = last.apiKeys.pageInfo.startCursor;
    const first = await time(TRIALS, () => list(''));
    const deep = await time(TRIALS, () => list('', cursor));
    const withCount = await time(TRIALS, () => list('totalCount'));
    orgs.push({
      keys,
      cacheHitMs: round(median(hit)),
      cacheMissMs: round(median(miss)),
      firstPageMs: round(median(first)),
      deepPageMs: round(median(deep)),
      withTotalCountMs: round(median(withCount)),
      withoutTotalCountMs: round(median(first)),
    });
  }

  // One invalidation among 100k cached keys (1,000 organizations of 100), and what an entry costs.
  const cachedKeys = 100_000;
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const cache = new VerificationCache({ maxEntries: cachedKeys, ttlMs: 600_000, maxUnknown: 10_000, unknownTtlMs: 10_000 });
  cache.enable();
  const orgIds = Array.from({ length: 1_000 }, () => randomUUID());
  // Only a few entries are kept outside the cache, so the heap delta is the cache's own.
  const samples: [string, VerifiedSecret][] = [];
  for (let i = 0; i < cachedKeys; i++) {
    const entry: VerifiedSecret = {
      secretId: randomUUID(),
      keyId: randomUUID(),
      orgId: orgIds[i % orgIds.length],
      keyType: 'USER' as VerifiedSecret['keyType'],
      ownerUserId: randomUUID(),
      ownerRole: Role.MEMBER,
      granted: (1n << 20n) - 1n,
      status: 'ACTIVE',
      deleted: false,
      keyExpiresAt: null,
      secretEndsAt: null,
      plan: Plan.TEAM,
      rateLimitPerMinute: null,
      displayName: `key number ${i}`,
    };
    const hash = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
    if (i % Math.floor(cachedKeys / TRIALS) === 0) samples.push([hash, entry]);
    cache.set(hash, entry, cache.epoch);
  }
  gc();
  const cacheBytesPerEntry = Math.round((process.memoryUsage().heapUsed - heapBefore) / cachedKeys);
  const applyTimes = (make: (e: VerifiedSecret) => Parameters<VerificationCache['apply']>[0]) =>
    Array.from({ length: TRIALS }, (_, i) => {
      const [hash, entry] = samples[i % samples.length];
      const t = performance.now();
      cache.apply(make(entry));
      const ms = performance.now() - t;
      cache.set(hash, entry, cache.epoch);
      return ms;
    });
  const keyTimes = applyTimes((e) => ({ kind: 'key', keyId: e.keyId }));
  const memberTimes = applyTimes((e) => ({ kind: 'member', orgId: e.orgId, userId: e.ownerUserId! }));
  const orgTimes = applyTimes((e) => ({ kind: 'org', orgId: e.orgId }));

  // A usage flush of 10k keys (one request each), with requests running meanwhile.
  const flushKeys = smoke ? 1_000 : 10_000;
  const ids = ((await ds.query('SELECT id FROM api_keys WHERE org_id = $1 LIMIT $2', [bigOrg, flushKeys])) as { id: string }[]).map(
    (r) => r.id,
  );
  for (const id of ids) app.services.usage.record(id);
  const ping = await app.services.organizations.bootstrap({ name: 'Ping', ownerEmail: 'ping@scale.test', plan: Plan.ENTERPRISE });
  const pingKey = ping.apiKey.secret;
  await post('{ viewer { kind } }', pingKey);
  // `viewer` requests back to back while `work` runs, with the event loop watched.
  const watched = async (work: () => Promise<void>) => {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    let running = true;
    const pings: number[] = [];
    const pinger = (async () => {
      while (running) {
        const t = performance.now();
        await post('{ viewer { kind } }', pingKey);
        pings.push(performance.now() - t);
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    loop.enable();
    const t = performance.now();
    await work();
    const ms = performance.now() - t;
    loop.disable();
    running = false;
    await pinger;
    return { ms, maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6, pings };
  };
  const flushed = await watched(() => app.services.usage.flush());
  const flushMs = flushed.ms;
  // The control: the same requests for as long with no flush, so a block the flush did not
  // cause (a garbage collection of this 100k-entry heap, say) shows up here too.
  const control = await watched(() => new Promise((r) => setTimeout(r, flushMs)));
  const pings = flushed.pings;

  const results: ScaleResults = {
    orgs,
    invalidation: {
      cachedKeys,
      keyMs: round(median(keyTimes)),
      keyMsMax: round(Math.max(...keyTimes)),
      memberMs: round(median(memberTimes)),
      orgMs: round(median(orgTimes)),
    },
    cacheBytesPerEntry,
    flush: {
      keys: ids.length,
      flushMs: round(flushMs),
      eventLoopMaxMs: round(flushed.maxMs),
      eventLoopP99Ms: round(flushed.p99Ms),
      pingMaxMs: round(Math.max(...pings)),
      pings: pings.length,
      controlMaxMs: round(control.maxMs),
      controlP99Ms: round(control.p99Ms),
    },
  };
  await app.close();
  await db.close();
  process.send!({ results }, () => process.exit(0));
}

main().catch((error) => {
  console.error('bench scale failed:', error);
  process.exit(1);
});
