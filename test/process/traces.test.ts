import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { hashSecret } from '../../src/auth/key-format';
import { CreateApiKeyDocument } from '../generated/graphql';
import { fetchGql } from '../support/graphql-request';
import { TestApp } from '../support/harness';
import { attribute, OtlpReceiver, type OtlpSpan } from '../support/otlp-receiver';
import { PROCESS_TIMEOUT_MS, startServerProcess, type ServerProcess } from '../support/processes';

jest.setTimeout(PROCESS_TIMEOUT_MS);

/**
 * Traces from a real keygate process (src/main.ts, which starts tracing before anything requires
 * `pg` or `ioredis`) to a local OTLP/HTTP receiver: one server span per request, with the
 * decision; every SQL statement and Redis command the request made is its child, in its trace;
 * nothing secret anywhere in what is exported. The process flushes its spans when it stops
 * (SIGTERM), so the test waits on its exit, never on a timer.
 */
let t: TestApp;
let receiver: OtlpReceiver;
let dataDir: string;
let server: ServerProcess;
let exported: OtlpSpan[];
let payload: string;
const secrets: string[] = [];
const ids: Record<'allowed' | 'refused' | 'session', string> = { allowed: '', refused: '', session: '' };
const LONG_NAME = `Q${'x'.repeat(500)}`;
/** Requests sent before the measured ones, until keygate's Redis connection was up. */
let warmups = 0;

beforeAll(async () => {
  t = await TestApp.create();
  receiver = await OtlpReceiver.start();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keygate-traces-'));
  chmodSync(dataDir, 0o755);
  server = await startServerProcess(t.databaseUrl, dataDir, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    JOBS_ENABLED: 'false',
    RATE_LIMITS_ENABLED: 'true',
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `keygate-traces-${process.pid}:`,
    // Counts go to Redis on every request (not in the background), so its commands are the request's.
    RATE_LIMIT_SYNC_MS: '0',
  });

  const statsOnly = (await t.createKey({ stats: ['read'] })).secret;
  // keygate listens before its Redis connection is up, and with no offline queue the rate limiter
  // counts locally until it is: warm up with a key of its own until Redis holds a count, so the
  // measured request's count goes to Redis (an event to wait on, not a time).
  const warm = (await t.createKey({ stats: ['read'] })).secret;
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  try {
    for (let attempt = 1; (await redis.keys(`keygate-traces-${process.pid}:*`)).length === 0; attempt++) {
      if (attempt > 500) throw new Error('keygate never counted a request in Redis');
      expect((await fetchGql(server.url, '{ viewer { kind } }', {}, { 'x-api-key': warm })).status).toBe(200);
      warmups++;
    }
  } finally {
    redis.disconnect();
  }
  const session = await t.app.browserSessions.start(t.owner.userId);
  secrets.push(t.rootKey, statsOnly, warm, session.token, session.csrf);
  const allowed = await fetchGql(server.url, 'query Who_Am_I { viewer { kind } }', {}, { 'x-api-key': t.rootKey });
  expect(allowed.status).toBe(200);
  const refused = await fetchGql(
    server.url,
    CreateApiKeyDocument,
    { input: { name: 'nope', permissions: {} } },
    { 'x-api-key': statsOnly },
  );
  expect(refused.status).toBe(403);
  const cookie = { cookie: `keygate_session=${session.token}; keygate_csrf=${session.csrf}`, 'x-keygate-csrf': session.csrf };
  const signedIn = await fetchGql(server.url, `query ${LONG_NAME} { viewer { kind } }`, {}, cookie);
  expect(signedIn.status).toBe(200);
  ids.allowed = allowed.headers['x-request-id'] as string;
  ids.refused = refused.headers['x-request-id'] as string;
  ids.session = signedIn.headers['x-request-id'] as string;

  server.child.kill('SIGTERM');
  expect((await server.exit).code).toBe(0);
  exported = receiver.spans();
  payload = receiver.bodies.join('\n');
});
afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await receiver?.close();
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const requestSpan = (id: string) => {
  const found = exported.filter((s) => attribute(s, 'keygate.request_id') === id);
  expect(found).toHaveLength(1);
  return found[0];
};
const childrenOf = (span: OtlpSpan) => exported.filter((s) => s.parentSpanId === span.spanId);

it('an allowed request: one server span; its SQL and Redis spans are its children, in its trace', () => {
  const span = requestSpan(ids.allowed);
  expect({ name: span.name, kind: span.kind, parent: span.parentSpanId ?? '' }).toEqual({ name: 'POST /graphql', kind: 2, parent: '' });
  expect(Object.fromEntries(span.attributes.map((a) => [a.key, attribute(span, a.key)]))).toEqual({
    'http.request.method': 'POST',
    'http.route': '/graphql',
    'http.response.status_code': 200,
    'keygate.request_id': ids.allowed,
    'keygate.decision': 'ALLOWED',
    'keygate.operation': 'viewer',
    'keygate.root_fields': ['viewer'],
    'keygate.outcome': 'ok',
    'graphql.operation.type': 'query',
    'graphql.operation.name': 'Who_Am_I',
  });
  const children = childrenOf(span);
  expect(children.every((c) => c.traceId === span.traceId && c.kind === 3)).toBe(true);
  // The key's verification (a cache miss: the process is new): a pool connection, one statement.
  const database = new URL(t.databaseUrl).pathname.slice(1);
  const sql = children.filter((c) => attribute(c, 'db.system.name') === 'postgresql');
  expect(sql.map((c) => c.name).sort()).toEqual(['pg-pool.connect', `pg.query:SELECT ${database}`]);
  const statement = String(
    attribute(
      sql.find((c) => c.name.startsWith('pg.query'))!,
      'db.query.text',
    ),
  );
  // The statement with its placeholders; the parameter (the key's hash) is no part of a span.
  expect(statement.trim()).toMatch(/^SELECT .* WHERE s\.secret_hash = \$1$/s);
  // The per-key rate limit's count in Redis; a command's name only, never its keys or values.
  const redis = children.filter((c) => attribute(c, 'db.system.name') === 'redis');
  expect(redis.map((c) => c.name)).toContain('incrby');
  for (const command of redis) expect(attribute(command, 'db.query.text')).toBe(command.name);
});

it('a mutation refused by the decision: REFUSED, 403, forbidden', () => {
  const span = requestSpan(ids.refused);
  expect(span.name).toBe('POST /graphql');
  expect(attribute(span, 'keygate.decision')).toBe('REFUSED');
  expect(attribute(span, 'keygate.operation')).toBe('createApiKey');
  expect(attribute(span, 'graphql.operation.type')).toBe('mutation');
  expect(attribute(span, 'http.response.status_code')).toBe(403);
  expect(attribute(span, 'keygate.outcome')).toBe('forbidden');
});

it("a client's operation name is cut to 100 characters", () => {
  expect(attribute(requestSpan(ids.session), 'graphql.operation.name')).toBe(LONG_NAME.slice(0, 100));
});

it('exports no key, session cookie, CSRF token or credential header, and no background work', () => {
  for (const secret of secrets) expect(payload).not.toContain(secret);
  for (const secret of secrets) expect(payload).not.toContain(hashSecret(secret));
  expect(payload).not.toContain(LONG_NAME);
  expect(payload).not.toMatch(/cookie|x-api-key|authorization|keygate_session/i);
  // Only requests make traces: every span is a request's, or under one.
  const roots = exported.filter((s) => !s.parentSpanId);
  expect(roots.map((s) => s.name)).toEqual(Array.from({ length: 3 + warmups }, () => 'POST /graphql'));
});
