import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/db/embedded-postgres';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET } from '../support/harness';
import { PROCESS_TIMEOUT_MS, finished, spawnTs, waitForOutput } from '../support/processes';

jest.setTimeout(PROCESS_TIMEOUT_MS);
import { createTestDatabase } from '../support/test-database';

/**
 * Issue 8 §7: secrets never go into the log stream. The first-start key is written to stderr (the
 * terminal), never to stdout (the JSON logs) and never through the logger; in production it is
 * not printed — and so not created — unless PRINT_BOOTSTRAP_KEY asks.
 */
const KEY = /sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}/g;
const SIGN_IN_LINK = /http:\/\/localhost:\d+\/console\/#sign-in=([\w-]{43})/g;

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-bootstrap-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function firstStart(env: Record<string, string>, whileRunning?: (port: number, output: string) => Promise<void>) {
  const db = await createTestDatabase();
  const port = await freePort();
  const child = spawnTs('src/main.ts', [], {
    DATABASE_URL: db.url,
    PORT: String(port),
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    SESSION_SECRET: TEST_SESSION_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    JOBS_ENABLED: 'false',
    ...env,
  });
  const done = finished(child);
  const output = await waitForOutput(child, '/graphiql');
  await whileRunning?.(port, output);
  child.kill('SIGTERM');
  const exit = await done;
  const client = new Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query(
    `SELECT (SELECT count(*)::int FROM organizations) AS orgs, (SELECT count(*)::int FROM api_keys) AS keys,
            (SELECT count(*)::int FROM sign_in_links) AS links`,
  );
  await client.end();
  await db.drop();
  return { ...exit, ...rows[0] };
}

it('development: the key and a one-time console link are shown once on stderr, never on stdout (the log stream)', async () => {
  let signIn = 0;
  const run = await firstStart({ NODE_ENV: 'development' }, async (port, output) => {
    // The banner is one write to stderr, so the link arrives with the GraphiQL line.
    const token = [...output.matchAll(SIGN_IN_LINK)][0]?.[1];
    const res = await fetch(`http://127.0.0.1:${port}/console/auth/sign-in-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    signIn = res.status;
  });
  expect(run.code).toBe(0);
  expect(signIn).toBe(204);
  expect(run.stderr.match(KEY)).toHaveLength(1);
  expect(run.stdout.match(KEY)).toBeNull();
  expect(run.stderr.match(SIGN_IN_LINK)).toHaveLength(1);
  expect(run.stdout.match(SIGN_IN_LINK)).toBeNull();
  expect(run.links).toBe(1);
  // stdout is the JSON log stream, and it is not empty: the separation is real.
  expect(run.stdout).toContain('"msg"');
  expect({ orgs: run.orgs, keys: run.keys }).toEqual({ orgs: 1, keys: 1 });
});

it('production: no key is printed anywhere, and none is created; the banner says how to sign in', async () => {
  const run = await firstStart({ NODE_ENV: 'production', HOST: '127.0.0.1' });
  expect(run.code).toBe(0);
  expect(`${run.stdout}${run.stderr}`.match(KEY)).toBeNull();
  expect(run.stderr).toContain('No bootstrap key was created (PRINT_BOOTSTRAP_KEY is off)');
  expect(run.stderr).toMatch(/npm run --silent cli -- session --org [0-9a-f-]{36} --email owner@localhost/);
  expect({ orgs: run.orgs, keys: run.keys, links: run.links }).toEqual({ orgs: 1, keys: 0, links: 0 });
  expect(run.stderr.match(SIGN_IN_LINK)).toBeNull();
});

it('production with PRINT_BOOTSTRAP_KEY=true: the key on stderr only', async () => {
  const run = await firstStart({ NODE_ENV: 'production', HOST: '127.0.0.1', PRINT_BOOTSTRAP_KEY: 'true' });
  expect(run.code).toBe(0);
  expect(run.stderr.match(KEY)).toHaveLength(1);
  expect(run.stdout.match(KEY)).toBeNull();
  expect({ orgs: run.orgs, keys: run.keys }).toEqual({ orgs: 1, keys: 1 });
});
