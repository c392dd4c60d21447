import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateApiKeyGrantDocument, RevokeApiKeyStatusDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk, expectUnauthenticated } from '../support/expect';
import { fetchGql } from '../support/graphql-request';
import { TestApp } from '../support/harness';
import { startServerProcess, type ServerProcess } from '../support/processes';

/**
 * Two server processes on one database. For each of 50 trials: a key is created through A and
 * cached by B; a client polls B back to back; the key is revoked through A; we measure how long
 * after A answered the revocation B still accepted the key. B's cache keeps entries for an hour
 * here, so only the invalidation A's commit sends can make B refuse: every trial ending is the
 * proof. The staleness figures are printed (p99 was 3.7 ms idle, 8.8 ms under CI load), not
 * asserted: a loaded machine moves them, and speed belongs to the benchmark.
 */
const TRIALS = 50;
let t: TestApp;
let dataDir: string;
const servers: ServerProcess[] = [];

// The poller makes thousands of requests a minute, many of them 401s after each revocation:
// rate limits stay off (the helper's default).
const startServer = () =>
  startServerProcess(t.databaseUrl, dataDir, { JOBS_ENABLED: 'false', VERIFICATION_CACHE_TTL_MS: String(3_600_000) });

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

beforeAll(async () => {
  t = await TestApp.create();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-two-'));
  chmodSync(dataDir, 0o755);
  servers.push(await startServer(), await startServer());
}, 300_000);

afterAll(async () => {
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.exit));
  rmSync(dataDir, { recursive: true, force: true });
  await t.close();
});

describe('two instances', () => {
  it(`a revocation through A stops B, through invalidation alone (${TRIALS} trials)`, async () => {
    const [a, b] = servers;
    const stale: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const created = await fetchGql(
        a.url,
        CreateApiKeyGrantDocument,
        { input: { name: 'poll me', permissions: { stats: ['read'] } } },
        { 'x-api-key': t.rootKey },
      );
      const { secret, apiKey } = expectOk(created).createApiKey;
      // B caches the key (the second call must be a hit).
      expect((await fetchGql(b.url, ViewerKindDocument, {}, { 'x-api-key': secret })).status).toBe(200);
      expect((await fetchGql(b.url, ViewerKindDocument, {}, { 'x-api-key': secret })).status).toBe(200);

      let lastAcceptedAt = 0;
      let refusedAt = 0;
      const poll = (async () => {
        while (!refusedAt) {
          const res = await fetchGql(b.url, ViewerKindDocument, {}, { 'x-api-key': secret });
          if (res.status === 200) lastAcceptedAt = performance.now();
          else {
            expectUnauthenticated(res, 'REVOKED');
            refusedAt = performance.now();
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 5));
      const revoked = await fetchGql(a.url, RevokeApiKeyStatusDocument, { id: apiKey.id }, { 'x-api-key': t.rootKey });
      const revokedAt = performance.now();
      expect(expectOk(revoked).revokeApiKey.status).toBe('REVOKED');
      await poll;
      // How long B kept saying yes after A had committed and answered (0 when it never did).
      stale.push(Math.max(0, lastAcceptedAt - revokedAt));
    }
    const sorted = [...stale].sort((x, y) => x - y);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(
      `revocation seen by the other instance: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms over ${TRIALS} trials`,
    );
    expect(stale).toHaveLength(TRIALS);
  }, 600_000);
});
