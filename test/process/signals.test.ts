import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyUsageDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { fetchGql, type GqlDocument } from '../support/graphql-request';
import { PROCESS_TIMEOUT_MS, runTs, startServerProcess, type ServerProcess } from '../support/processes';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group. The embedded
 * PostgreSQL runs in a group of its own, so the signal reaches keygate only; keygate drains,
 * flushes usage and then stops the database itself: every counted request is stored and the
 * exit code is 0 — for SIGINT to the group and for SIGTERM alike. Usage is flushed only at
 * shutdown here (the interval is a minute), so the stored count proves the final flush ran.
 */
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-signals-'));
  // The embedded PostgreSQL runs as the postgres user when the tests run as root.
  chmodSync(dataDir, 0o755);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const env = { USAGE_FLUSH_INTERVAL_MS: '60000', MIGRATE_ON_START: 'true' };
const start = (viaNpm = false) => startServerProcess(undefined, dataDir, env, { detached: true, viaNpm });

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function graphql<T, V>(server: ServerProcess, key: string, document: GqlDocument<T, V>, variables?: V): Promise<T> {
  return expectOk(await fetchGql(server.url, document, variables, { 'x-api-key': key }));
}

async function stopGroup(server: ServerProcess, signal: NodeJS.Signals) {
  process.kill(-server.child.pid!, signal);
  const result = await server.exit;
  // stderr holds the start banner (for the terminal) and nothing else: no error on the way out.
  const unexpected = result.stderr
    .split('\n')
    // `npm start` may first build dist/ (scripts/build.js --if-stale), which says so.
    .filter(
      (line) =>
        line.trim() &&
        !/^keygate is listening on |^ {2}GraphQL: |^ {2}GraphiQL: |^ {2}Console: |^keygate: (building|sources changed|built)\b/.test(line),
    );
  expect({ code: result.code, unexpected }).toEqual({ code: 0, unexpected: [] });
  // keygate stopped its database on the way out.
  const { port } = JSON.parse(readFileSync(path.join(dataDir, 'postgres', 'connection.json'), 'utf8')) as { port: number };
  expect(existsSync(path.join(dataDir, 'postgres', 'pg', 'postmaster.pid'))).toBe(false);
  expect(await acceptsConnections(port)).toBe(false);
}

it('SIGINT to the process group and SIGTERM both exit 0 with every counted request stored', async () => {
  const first = await start();
  const bootstrap = await runTs('src/cli.ts', ['bootstrap', '--org', 'Signals', '--owner', 'owner@signals.test', '--json'], {
    DATA_DIR: dataDir,
  });
  expect(bootstrap.code).toBe(0);
  const { apiKey } = JSON.parse(bootstrap.stdout) as { apiKey: { id: string; secret: string } };
  for (let i = 0; i < 10; i++) expect((await graphql(first, apiKey.secret, ViewerKindDocument)).viewer.kind).toBe('API_KEY');
  await stopGroup(first, 'SIGINT');

  const second = await start();
  const requestCount = async (server: ServerProcess) =>
    (await graphql(server, apiKey.secret, ApiKeyUsageDocument, { id: apiKey.id, days: 1 })).apiKey!.requestCount;
  // This request is counted in memory; only the final flush can store it.
  expect(await requestCount(second)).toBe(10);
  await stopGroup(second, 'SIGTERM');

  const third = await start();
  expect(await requestCount(third)).toBe(11);
  await stopGroup(third, 'SIGINT');

  // `npm start` as a person runs it: npm → sh → node. The script execs node, so no shell stands
  // between npm and keygate to die of the Ctrl-C and make npm exit 130.
  const viaNpm = await start(true);
  expect(await requestCount(viaNpm)).toBe(12);
  await stopGroup(viaNpm, 'SIGINT');
  const last = await start();
  expect(await requestCount(last)).toBe(13);
  await stopGroup(last, 'SIGTERM');
});
