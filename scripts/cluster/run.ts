import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { MIGRATIONS } from '../../migrations';
import { openBenchDatabase } from '../../bench/lib';
import { freePort } from '../../src/db/embedded-postgres';
import { HaProxy, KeygateNode, ROOT } from './cluster.processes';
import { GqlClient } from './http-client';
import {
  createKey,
  killNine,
  revocation,
  rollingRestart,
  sharedRateLimits,
  webhooksExactlyOnce,
  type Check,
  type Cluster,
} from './scenario';
import { HttpsReceiver } from './webhook-receiver';

/**
 * `npm run cluster [-- --short]`: three keygate processes (the compiled build, production
 * settings, webhook workers on all three) on one PostgreSQL and one Redis, behind HAProxy, and
 * five things proved under load — shared rate limits, revocation everywhere, webhooks exactly
 * once, a rolling restart that fails nothing, a kill -9 that loses nothing acknowledged. Prints
 * one line of figures per check and exits 1 if any check fails. `--short` is the CI run.
 */
const short = process.argv.includes('--short');
const SYNC_MS = 100;
const NODES = 3;
const MAXCONN_PER_NODE = 8;

function haproxyVersion(): string {
  try {
    return execFileSync('haproxy', ['-v'], { encoding: 'utf8' })
      .split('\n')[0]
      .replace(/ - https.*/, '');
  } catch {
    throw new Error('haproxy is not installed (Debian: apt-get install haproxy); the cluster scenario needs a real load balancer');
  }
}

async function redisUrl(): Promise<string> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    throw new Error(`no Redis answers at ${url} (set REDIS_URL); shared rate limits need one`);
  } finally {
    redis.disconnect();
  }
  return url;
}

async function main(): Promise<number> {
  const started = performance.now();
  const version = haproxyVersion();
  const redis = await redisUrl();
  // Parallel runs (CI, other engineers) share this Redis: every key of this run carries its own prefix.
  const prefix = `keygate-cluster-${process.pid}-${Date.now().toString(36)}:`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-cluster-'));
  chmodSync(dir, 0o755);
  const database = await openBenchDatabase();
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => database.cleanup()];
  const checks: Check[] = [];
  try {
    const receiver = await HttpsReceiver.start(dir);
    cleanups.unshift(() => receiver.close());
    const env = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      SESSION_SECRET: 'cluster-secret-cluster-secret-cluster-secret',
      ENCRYPTION_KEY: 'cd'.repeat(32),
      REDIS_URL: redis,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_SYNC_MS: String(SYNC_MS),
      // All three start together on the fresh database: the migration lock makes them take turns.
      MIGRATE_ON_START: 'true',
      BOOTSTRAP_ON_START: 'false',
      JOBS_ENABLED: 'true',
      // The receiver is on loopback, with a certificate of its own that the nodes are told to trust.
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      NODE_EXTRA_CA_CERTS: receiver.certFile,
      TRUST_PROXY: '127.0.0.1',
      // Longer than HAProxy takes to mark a node down (2 checks 100 ms apart), with room for a loaded machine.
      SHUTDOWN_DRAIN_MS: '2000',
      DB_POOL_SIZE: '8',
      LOG_LEVEL: 'warn',
    };
    const ports = await Promise.all(Array.from({ length: NODES }, () => freePort()));
    const nodes = ports.map((port, i) => new KeygateNode(`n${i + 1}`, port, env, path.join(dir, `n${i + 1}.log`)));
    cleanups.unshift(() => Promise.all(nodes.map((n) => n.stop())));
    await Promise.all(nodes.map((n) => n.start()));

    const db = new Client({ connectionString: database.url });
    await db.connect();
    cleanups.unshift(() => db.end());
    const applied = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM migrations')).rows[0].n);
    checks.push({
      name: 'start',
      ok: applied === MIGRATIONS.length,
      line: `${NODES} nodes started at once with MIGRATE_ON_START=true on a fresh database: ${applied} of ${MIGRATIONS.length} migrations applied, once`,
    });

    const boot = execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'dist', 'src', 'cli.js'),
        'bootstrap',
        '--org',
        'Cluster',
        '--owner',
        'owner@cluster.test',
        '--plan',
        'ENTERPRISE',
        '--json',
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' },
    );
    const bootstrap = JSON.parse(boot) as { organization: { id: string }; apiKey: { secret: string } };

    const haproxy = new HaProxy(
      await freePort(),
      dir,
      nodes.map((n) => ({ name: n.name, port: n.port })),
      MAXCONN_PER_NODE,
    );
    await haproxy.start();
    cleanups.unshift(() => haproxy.stop());
    for (const n of nodes) await haproxy.waitFor(n.name, 'UP');
    const lb = new GqlClient(haproxy.port, 32);
    const direct = nodes.map((n) => new GqlClient(n.port, 4));
    cleanups.unshift(() => [lb, ...direct].forEach((client) => client.close()));

    const cluster: Cluster = {
      nodes,
      haproxy,
      lb,
      direct,
      db,
      orgId: bootstrap.organization.id,
      adminKey: bootstrap.apiKey.secret,
      loadKeys: [],
      receiver,
      syncMs: SYNC_MS,
      short,
    };
    for (let i = 0; i < 24; i++) {
      cluster.loadKeys.push((await createKey(cluster, { permissions: { shortLinks: ['create', 'read'] } })).secret);
    }
    console.log(
      `cluster: ${NODES} keygate nodes (dist/src/main.js, NODE_ENV=production, jobs on all) on ${database.embedded ? 'an embedded' : 'DATABASE_URL’s'} ` +
        `PostgreSQL, Redis ${redis} (prefix ${prefix}), ${version} on 127.0.0.1:${haproxy.port}${short ? ' — short run' : ''}`,
    );
    console.log(`${checks[0].ok ? 'ok  ' : 'FAIL'} ${checks[0].name}: ${checks[0].line}`);
    for (const phase of [sharedRateLimits, revocation, webhooksExactlyOnce, rollingRestart, killNine]) {
      const check = await phase(cluster);
      checks.push(check);
      console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.line}`);
      for (const line of check.ok ? [] : (check.details ?? [])) console.log(`       ${line}`);
    }
    const stops = await Promise.all(nodes.map((n) => n.stop()));
    checks.push({ name: 'stop', ok: stops.every((code) => code === 0), line: `SIGTERM to every node: exit codes ${stops.join(', ')}` });
    console.log(`${checks.at(-1)!.ok ? 'ok  ' : 'FAIL'} stop: ${checks.at(-1)!.line}`);
  } finally {
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => undefined);
    // This run's keys only (its prefix); a scan, so a shared Redis is never blocked by it.
    const cleaner = new Redis(redis);
    try {
      const stream = cleaner.scanStream({ match: `${prefix}*`, count: 500 });
      for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await cleaner.del(...keys);
    } catch {
      // Keys left behind expire with their one-minute windows anyway.
    } finally {
      cleaner.disconnect();
    }
  }
  const failed = checks.filter((c) => !c.ok);
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    failed.length
      ? `cluster: FAILED (${failed.map((c) => c.name).join(', ')}) in ${seconds} s; logs in ${dir}`
      : `cluster: PASSED, ${checks.length} checks, in ${seconds} s`,
  );
  if (!failed.length) rmSync(dir, { recursive: true, force: true });
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`cluster: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
