import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { KeyFormat } from '../src/auth/key-format';
import { createDataSource } from '../src/db/data-source';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { Plan } from '../src/kernel/plans';
import { KEYGATE } from '../src/modules';
import { createServiceGraph } from '../src/service-graph';
import { loadConfig } from '../src/kernel/config';

/** Shared by `npm run bench` and `npm run soak`: a throwaway database, the seed, the server process. */
export const keyFormat = new KeyFormat('sk_live_');

/** A fresh database: a new one on DATABASE_URL's server, or an embedded PostgreSQL in a temp dir. */
export async function openBenchDatabase(): Promise<{ url: string; cleanup: () => Promise<void> }> {
  let url = process.env.DATABASE_URL;
  let cleanup: () => Promise<void>;
  let database: string | undefined;
  if (url) {
    database = `keygate_bench_${Date.now()}`;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${database}`;
    const adminUrl = url;
    url = u.toString();
    cleanup = async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await c.end();
    };
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-bench-'));
    chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres({ dir });
    url = pg.url;
    cleanup = async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }

  return { url: url!, cleanup };
}

export async function seed(url: string, KEYS: number, LINKS: number): Promise<string> {
  const ds = createDataSource({ url, entities: KEYGATE.entities });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  const config = loadConfig({ NODE_ENV: 'test', ENCRYPTION_KEY: 'ab'.repeat(32) });
  const { organizations } = (await createServiceGraph({ dataSource: ds, config })).services;
  const boot = await organizations.bootstrap({ name: 'Bench', ownerEmail: 'owner@bench.test', plan: Plan.ENTERPRISE });
  const org = boot.organization.id;
  const owner = boot.owner.id;
  // Keys made alternately by the owner and by the bootstrap key, so createdBy needs both loaders.
  await ds.query(
    `INSERT INTO api_keys (org_id, name, type, permissions, prefix, last4, created_by_kind, created_by_id)
     SELECT $1, 'bench key ' || g, 'BOT', '{"stats":["read"]}', 'sk_live_' || substr(md5(g::text), 1, 4), substr(md5(g::text), 5, 4),
            CASE WHEN g % 2 = 0 THEN 'USER' ELSE 'API_KEY' END, CASE WHEN g % 2 = 0 THEN $2::uuid ELSE $3::uuid END
       FROM generate_series(1, $4) g`,
    [org, owner, boot.apiKey.id, KEYS - 1],
  );
  await ds.query(
    `INSERT INTO api_key_secrets (api_key_id, secret_hash, prefix, last4)
     SELECT id, encode(sha256(convert_to(id::text, 'UTF8')), 'hex'), prefix, last4 FROM api_keys WHERE name LIKE 'bench key %'`,
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
    [org, owner, LINKS],
  );
  await ds.query('ANALYZE');
  await ds.destroy();
  return boot.apiKey.secret;
}

export async function startServer(url: string, key: string): Promise<{ ports: Record<string, number>; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', path.join(__dirname, 'server.ts')], {
    env: { ...process.env, DATABASE_URL: url, BENCH_KEY: key },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise<Record<string, number>>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (line) resolve(JSON.parse(line).ports);
    });
    child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    ports,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
