import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/db/embedded-postgres';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET, TestApp } from '../support/harness';
import { finished, spawnTs, waitForOutput } from '../support/processes';

/**
 * SIGTERM in the middle of load: the server stops accepting, finishes what is in flight,
 * flushes usage, closes its pools and exits 0; every request it answered with 200 is counted
 * in the usage table (usage is only written at shutdown here: the flush interval is a minute).
 */
let t: TestApp;
let dataDir: string;
beforeAll(async () => {
  t = await TestApp.create();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-sigterm-'));
  chmodSync(dataDir, 0o755);
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await t.close();
});

it('exits 0 after SIGTERM mid-load, with every answered request counted', async () => {
  const key = await t.createKey({ stats: ['read'] });
  const port = await freePort();
  const child = spawnTs('src/main.ts', [], {
    DATABASE_URL: t.databaseUrl,
    PORT: String(port),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    SESSION_SECRET: TEST_SESSION_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    MIGRATE_ON_START: 'false',
    BOOTSTRAP_ON_START: 'false',
    RATE_LIMITS_ENABLED: 'false',
    USAGE_FLUSH_INTERVAL_MS: '60000',
  });
  const exit = finished(child, 60_000);
  await waitForOutput(child, '/graphiql', 60_000);

  let ok = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key.secret },
          body: JSON.stringify({ query: '{ viewer { kind } }' }),
        });
        if (res.status === 200) ok++;
        else stop = true;
        await res.arrayBuffer();
      } catch {
        stop = true; // connection refused or reset: the server has stopped accepting
      }
    }
  };
  const workers = Promise.all(Array.from({ length: 8 }, worker));
  await new Promise((r) => setTimeout(r, 400));
  child.kill('SIGTERM');
  await workers;
  const result = await exit;

  expect(result.code).toBe(0);
  expect(ok).toBeGreaterThan(20);
  const [row] = await t.dataSource.query('SELECT coalesce(sum(requests), 0)::int AS n FROM api_key_usage WHERE api_key_id = $1', [key.id]);
  expect(row.n).toBe(ok);
}, 90_000);
