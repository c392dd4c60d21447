import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/db/embedded-postgres';
import { ViewerAndMembersDocument } from '../generated/graphql';
import { fetchGql } from '../support/graphql-request';
import { PROCESS_TIMEOUT_MS, finished, runTs, spawnTs, waitForOutput } from '../support/processes';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * `npm start` as a new user runs it: no DATABASE_URL, an empty data directory. The embedded
 * PostgreSQL is initialised, migrations run, the Default organization is bootstrapped and its
 * key printed once; a restart prints nothing secret and the key still works.
 */
const KEY = /sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}/g;

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-start-'));
  // As a fresh `.data/` would be (mkdtemp makes 0700, which the postgres user cannot enter).
  chmodSync(dataDir, 0o755);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function viewer(port: number, key: string | undefined) {
  return fetchGql(`http://127.0.0.1:${port}/graphql`, ViewerAndMembersDocument, {}, { 'x-api-key': key ?? '' });
}

describe('npm start on an empty machine (embedded PostgreSQL)', () => {
  it('bootstraps once, prints the key once, survives a restart, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'warn', SESSION_SECRET: undefined };

    const first = spawnTs('src/main.ts', [], env);
    const firstDone = finished(first);
    const out1 = await waitForOutput(first, 'Try it:');
    const keys: string[] = out1.match(KEY) ?? [];
    expect(keys).toHaveLength(1);
    expect(out1).toContain(`http://localhost:${port}/graphiql`);
    expect(out1).toContain('created organization "Default"');

    const res = await viewer(port, keys[0]);
    expect(res.status).toBe(200);
    expect(res.body.data!.viewer).toEqual({ kind: 'API_KEY', organization: { name: 'Default' }, user: null });
    expect(res.body.data!.members).toEqual([{ user: { email: 'owner@localhost' }, role: 'OWNER' }]);

    first.kill('SIGTERM');
    const exit1 = await firstDone;
    expect(exit1.code).toBe(0);
    // The development session secret was generated once and kept private.
    expect(statSync(path.join(dataDir, 'session-secret')).mode & 0o777).toBe(0o600);

    const second = spawnTs('src/main.ts', [], env);
    const secondDone = finished(second);
    const out2 = await waitForOutput(second, '/graphiql');
    await new Promise((r) => setTimeout(r, 200));
    expect(out2.match(KEY)).toBeNull();
    expect((await viewer(port, keys[0])).status).toBe(200);
    second.kill('SIGTERM');
    const exit2 = await secondDone;
    expect(exit2.code).toBe(0);
    expect(exit2.stdout.match(KEY)).toBeNull();
  });

  it('refuses to start in production without a way to verify sessions, with a clear message', async () => {
    const result = await runTs('src/main.ts', [], {
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      SESSION_SECRET: undefined,
      JWKS_URL: undefined,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NODE_ENV=production needs SESSION_SECRET');
  });

  it('rejects an invalid environment variable at start with its name', async () => {
    const result = await runTs('src/main.ts', [], { PORT: 'eighty', DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
  });
});
