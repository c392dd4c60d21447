import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROCESS_TIMEOUT_MS, startServerProcess } from '../support/processes';
import { createTestDatabase } from '../support/test-database';
import { until } from '../support/until';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * SIGTERM starts a drain (SHUTDOWN_DRAIN_MS): `/readyz` answers 503 at once so a load balancer
 * takes the instance out, while requests that still come are served, each with
 * `Connection: close`. Apollo's own SIGTERM handler (on outside NODE_ENV=test) must not close
 * the server meanwhile. The drain here is five minutes, so nothing ends it but the second
 * SIGTERM, which cuts it short: the process then exits 0.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-drain-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

let stop = () => undefined as unknown;
afterAll(() => stop());

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

function get(port: number, urlPath: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent, headers: { 'apollo-require-preflight': 'true' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

const INTROSPECTION = `/graphql?query=${encodeURIComponent('{ __schema { queryType { name } } }')}`;

it('SIGTERM: /readyz 503 at once, requests still served with Connection: close; a second SIGTERM ends the drain and the exit is 0', async () => {
  const server = await startServerProcess(db.url, dataDir, { SHUTDOWN_DRAIN_MS: '300000' });
  stop = () => server.child.kill('SIGKILL');
  expect(await get(server.port, '/readyz')).toEqual({ status: 200, connection: 'keep-alive', body: '{"status":"ready"}' });

  server.child.kill('SIGTERM');
  await until('/readyz answering 503', async () => (await get(server.port, '/readyz')).status === 503, 60_000);
  expect(await get(server.port, '/readyz')).toEqual({ status: 503, connection: 'close', body: '{"status":"draining"}' });
  // GraphQL is still served (an introspection query needs no key outside production).
  expect(await get(server.port, INTROSPECTION)).toEqual({
    status: 200,
    connection: 'close',
    body: '{"data":{"__schema":{"queryType":{"name":"Query"}}}}\n',
  });
  expect(await get(server.port, '/healthz')).toEqual({ status: 200, connection: 'close', body: '{"status":"ok"}' });

  server.child.kill('SIGTERM');
  expect((await server.exit).code).toBe(0);
});
