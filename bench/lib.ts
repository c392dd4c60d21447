import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { buildForBench } from './build';
import type { CapturedStatement } from './sql-counter';
import { KeyFormat } from '../src/auth/key-format';
import { createDataSource } from '../src/db/data-source';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { Plan } from '../src/kernel/plans';
import { KEYGATE } from '../src/modules';
import { createServiceGraph } from '../src/service-graph';
import { loadConfig } from '../src/kernel/config';

/** Shared by `npm run bench` and `npm run soak`: a throwaway database, the seed, server processes. */
export const keyFormat = new KeyFormat('sk_live_');

/** A fresh database: a new one on DATABASE_URL's server, or an embedded PostgreSQL in a temp dir. */
export async function openBenchDatabase(): Promise<{ url: string; embedded: boolean; cleanup: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const database = `keygate_bench_${Date.now()}`;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${database}`;
    return {
      url: u.toString(),
      embedded: false,
      cleanup: async () => {
        const c = new Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-bench-'));
  chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir });
  return {
    url: pg.url,
    embedded: true,
    cleanup: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Seeded {
  orgId: string;
  /** The bootstrap key (every permission). */
  key: string;
  /** Every key of the organization, the bootstrap key first: the load rotates over them. */
  keys: string[];
}

/**
 * One ENTERPRISE organization with `keys` keys (all with real secrets and every permission, made
 * alternately by the owner and by the bootstrap key, so createdBy needs both loaders) and `links`
 * short links, half of them on one of 10 domains. Inserted with SQL, not through the API.
 */
export async function seed(url: string, keys: number, links: number): Promise<Seeded> {
  const ds = createDataSource({ url, entities: KEYGATE.entities });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  const config = loadConfig({ NODE_ENV: 'test', ENCRYPTION_KEY: 'ab'.repeat(32) });
  const { organizations } = (await createServiceGraph({ dataSource: ds, config })).services;
  const boot = await organizations.bootstrap({ name: 'Bench', ownerEmail: 'owner@bench.test', plan: Plan.ENTERPRISE });
  const org = boot.organization.id;
  const owner = boot.owner.id;
  const generated = Array.from({ length: keys - 1 }, () => keyFormat.generate());
  await ds.query(
    `WITH input AS (SELECT * FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS t(hash, prefix, last4, g)),
     made AS (
       INSERT INTO api_keys (org_id, name, type, permissions, prefix, last4, created_by_kind, created_by_id)
       SELECT $1, 'bench key ' || g, 'BOT', (SELECT permissions FROM api_keys WHERE id = $3), prefix, last4,
              CASE WHEN g % 2 = 0 THEN 'USER' ELSE 'API_KEY' END, CASE WHEN g % 2 = 0 THEN $2::uuid ELSE $3::uuid END
         FROM input
       RETURNING id, name)
     INSERT INTO api_key_secrets (api_key_id, secret_hash, prefix, last4)
     SELECT made.id, input.hash, input.prefix, input.last4 FROM made JOIN input ON made.name = 'bench key ' || input.g`,
    [org, owner, boot.apiKey.id, generated.map((k) => k.hash), generated.map((k) => k.prefix), generated.map((k) => k.last4)],
  );
  await ds.query(`INSERT INTO api_key_usage (api_key_id, day, requests) SELECT id, current_date, 7 FROM api_keys`);
  await ds.query(
    `INSERT INTO domains (org_id, hostname, verification_token, verified_at)
     SELECT $1, 'd' || g || '.bench.test', md5(g::text), now() FROM generate_series(1, 10) g`,
    [org],
  );
  await ds.query(
    `INSERT INTO short_links (org_id, domain_id, slug, url, created_by_kind, created_by_id, click_count)
     SELECT $1, CASE WHEN g % 2 = 0 THEN (SELECT id FROM domains ORDER BY hostname OFFSET (g % 10) LIMIT 1) END,
            'b' || g, 'https://example.com/' || g, 'USER', $2, g % 100
       FROM generate_series(1, $3) g`,
    [org, owner, links],
  );
  await ds.query('ANALYZE');
  await ds.destroy();
  return { orgId: org, key: boot.apiKey.secret, keys: [boot.apiKey.secret, ...generated.map((k) => k.secret)] };
}

/** The production environment every keygate server of the benchmark runs with. */
export function productionEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: url,
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret!!',
    ENCRYPTION_KEY: 'ab'.repeat(32),
    HOST: '127.0.0.1',
    // Webhook workers, the outbox dispatcher and expiry checks touch no request; they would
    // only add seven pg-boss pollers to a shared 2-core machine.
    JOBS_ENABLED: 'false',
    ...extra,
  };
}

export interface ServerProcess {
  kind: string;
  port: number;
  child: ChildProcess;
  logFile: string;
  /** Resident memory of the server process now (VmRSS of /proc/<pid>/status), in bytes. */
  rss(): number;
  call<T = Record<string, unknown>>(cmd: string, arg?: string): Promise<T>;
  stop(): Promise<void>;
}

/** VmRSS of a process, in bytes (Linux); 0 when it cannot be read. */
export function rssOf(pid: number | undefined): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return line ? Number(line[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const built = new Map<string, string | null>();

/**
 * Starts a bench server of `kind` (see bench/server.ts) in its own process with exactly `env`
 * (plus PATH), its stdout — the JSON log at info level — going to `logFile`. The server runs as
 * JavaScript from the checkout's build (buildForBench, once per checkout and run); a checkout
 * without a build script (an old BENCH_BASELINE_ROOT) runs through ts-node as it used to.
 */
export async function startServerProcess(
  kind: string,
  env: Record<string, string>,
  logFile: string,
  nodeFlags: string[] = [],
  /** Another checkout of keygate (BENCH_BASELINE_ROOT): its own bench/server.ts and src, measured beside this one. */
  root = path.resolve(__dirname, '..'),
): Promise<ServerProcess> {
  if (!built.has(root)) built.set(root, buildForBench(root));
  const script = built.get(root);
  const fd = openSync(logFile, 'a');
  const child = fork(script ?? path.join(root, 'bench', 'server.ts'), [kind], {
    cwd: root,
    execArgv: script ? nodeFlags : ['--require', 'ts-node/register/transpile-only', ...nodeFlags],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', fd, 'inherit', 'ipc'],
  });
  closeSync(fd);
  const pending = new Map<number, (value: Record<string, unknown>) => void>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean; port?: number; id?: number }) => {
      if (m.ready) resolve(m.port!);
      else if (m.id !== undefined) pending.get(m.id)?.(m as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`bench server ${kind} exited with ${code}`)));
  });
  return {
    kind,
    port,
    child,
    logFile,
    rss: () => rssOf(child.pid),
    call: <T>(cmd: string, arg?: string) =>
      new Promise<T>((resolve) => {
        const id = nextId++;
        pending.set(id, (v) => {
          pending.delete(id);
          resolve(v as T);
        });
        child.send({ id, cmd, arg });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.send({ cmd: 'stop' });
      }),
  };
}

/** The statements keygate sent for one list request, without its background work (invalidation, usage flushes). */
export function requestStatements(captured: CapturedStatement[]): CapturedStatement[] {
  return captured.filter((s) => !/pg_notify|^\s*(LISTEN|NOTIFY)\b|unnest\(\$1::uuid\[\], \$2::date\[\]/.test(s.text));
}
