/**
 * How long a usage flush of many keys blocks the event loop, and how long its longest statement
 * (its transaction) runs: chunked as shipped, and in one statement as before. Needs a PostgreSQL
 * server: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --require
 * ts-node/register/transpile-only scripts/flush-stall.ts [keys]` (makes and drops its own database).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { createDataSource, DEFAULT_DATABASE_TIMEOUTS } from '../src/db/data-source';
import { DEFAULT_FLUSH_CHUNK } from '../src/db/write-behind';
import { loadConfig } from '../src/kernel/config';
import { KEYGATE } from '../src/modules';
import { UsageRecorder, type PendingUsage } from '../src/modules/api-keys/usage-recorder';
import { createServiceGraph } from '../src/service-graph';

const KEYS = Number(process.argv[2] ?? 10_000);

/** Times each chunk's statement, to report the longest transaction. */
class TimedUsage extends UsageRecorder {
  longestStatementMs = 0;
  protected override async write(chunk: PendingUsage[]): Promise<void> {
    const t0 = performance.now();
    await super.write(chunk);
    this.longestStatementMs = Math.max(this.longestStatementMs, performance.now() - t0);
  }
}

/**
 * The longest gap between turns of the event loop while `fn` runs: in wall-clock time, and in
 * CPU time used by this process over that gap. On a shared machine the wall-clock gap includes
 * time the process was not scheduled at all, so the CPU figure is the one that shows our work.
 */
async function longestBlock(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  let wallMs = 0;
  let cpuMs = 0;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let running = true;
  const tick = () => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    wallMs = Math.max(wallMs, now - last);
    cpuMs = Math.max(cpuMs, (cpu.user + cpu.system) / 1_000);
    last = now;
    lastCpu = process.cpuUsage();
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await fn();
  running = false;
  return { wallMs: Number(wallMs.toFixed(1)), cpuMs: Number(cpuMs.toFixed(1)) };
}

async function main() {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `keygate_flush_${Date.now()}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  // No statement bound: seeding 10k keys on a busy machine can take longer than the server's 5 s.
  const ds = createDataSource({
    url: url.toString(),
    entities: KEYGATE.entities,
    timeouts: { ...DEFAULT_DATABASE_TIMEOUTS, statementMs: 0 },
  });
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    const config = loadConfig({ NODE_ENV: 'test', ENCRYPTION_KEY: 'ab'.repeat(32) });
    const { organizations } = (await createServiceGraph({ dataSource: ds, config })).services;
    const boot = await organizations.bootstrap({ name: 'Flush', ownerEmail: 'owner@flush.test' });
    const rows: { id: string }[] = await ds.query(
      `INSERT INTO api_keys (org_id, name, type, permissions, prefix, last4, created_by_kind, created_by_id)
       SELECT $1, 'k' || g, 'BOT', '{}', 'sk_live_abcd', 'abcd', 'API_KEY', $2 FROM generate_series(1, $3) g RETURNING id`,
      [boot.organization.id, boot.apiKey.id, KEYS],
    );
    // The noise floor: the same measurement over 2 s with nothing to do (other processes, GC).
    const idle = await longestBlock(() => new Promise((resolve) => setTimeout(resolve, 2_000)));
    const results: Record<string, unknown> = { keys: KEYS, idleLongestBlock: idle };
    for (const [name, chunk] of [
      ['one statement', Number.MAX_SAFE_INTEGER],
      [`chunks of ${DEFAULT_FLUSH_CHUNK}`, DEFAULT_FLUSH_CHUNK],
      ['one statement (again)', Number.MAX_SAFE_INTEGER],
      [`chunks of ${DEFAULT_FLUSH_CHUNK} (again)`, DEFAULT_FLUSH_CHUNK],
    ] as const) {
      const recorder = new TimedUsage(ds, 1_000_000, undefined, chunk);
      for (const r of rows) recorder.record(r.id);
      const t0 = performance.now();
      const block = await longestBlock(() => recorder.flush());
      results[name] = {
        totalMs: Math.round(performance.now() - t0),
        longestBlock: block,
        longestStatementMs: Math.round(recorder.longestStatementMs),
      };
    }
    console.log(JSON.stringify(results, null, 1));
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

void main();
