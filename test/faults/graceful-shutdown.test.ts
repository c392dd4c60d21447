import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ViewerKindDocument } from '../generated/graphql';
import { requestBody } from '../support/graphql-request';
import { TestApp } from '../support/harness';
import { startServerProcess } from '../support/processes';

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
  // Usage is written only at shutdown here: the flush interval is a minute.
  const { port, child, exit } = await startServerProcess(t.databaseUrl, dataDir, { USAGE_FLUSH_INTERVAL_MS: '60000' });

  let ok = 0;
  let stop = false;
  // Resolves when the server has answered `n` requests: the signal is sent after an event, not a time.
  let reached: () => void;
  const answered = new Promise<void>((resolve) => (reached = resolve));
  const ANSWERED_BEFORE_SIGTERM = 40;
  const worker = async () => {
    while (!stop) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key.secret },
          body: JSON.stringify(requestBody(ViewerKindDocument)),
        });
        if (res.status === 200) ok++;
        else stop = true;
        await res.arrayBuffer();
        if (ok >= ANSWERED_BEFORE_SIGTERM) reached();
      } catch {
        stop = true; // connection refused or reset: the server has stopped accepting
      }
    }
  };
  const workers = Promise.all(Array.from({ length: 8 }, worker));
  await answered;
  // Load is still running when the signal arrives: eight requests are in flight or about to be.
  child.kill('SIGTERM');
  await workers;
  const result = await exit;

  expect(result.code).toBe(0);
  expect(ok).toBeGreaterThanOrEqual(ANSWERED_BEFORE_SIGTERM);
  const [row] = await t.dataSource.query('SELECT coalesce(sum(requests), 0)::int AS n FROM api_key_usage WHERE api_key_id = $1', [key.id]);
  expect(row.n).toBe(ok);
}, 90_000);
