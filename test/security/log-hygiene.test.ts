import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { REDACTED_PATHS } from '../../src/http/server';
import { buildApp, type App } from '../../src/app';
import { SessionTokens } from '../../src/auth/session-tokens';
import { loadConfig } from '../../src/kernel/config';
import { KEYGATE } from '../../src/modules';
import { createDataSource } from '../../src/db/data-source';
import {
  CreateApiKeyGrantDocument,
  CreateWebhookDocument,
  CreateWebhookSecretDocument,
  RotateApiKeySecretDocument,
  ViewerKindDocument,
} from '../generated/graphql';
import { injectGql } from '../support/graphql-request';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET } from '../support/harness';
import { createTestDatabase } from '../support/test-database';

/** Every log line at trace level, captured: no key, session token or webhook secret ever reaches a log. */
const lines: string[] = [];
let app: App;
let dataSource: DataSource;
let drop: () => Promise<void>;
let sessions: SessionTokens;
let rootKey: string;
let orgId: string;
let ownerId: string;

beforeAll(async () => {
  const db = await createTestDatabase();
  drop = db.drop;
  dataSource = createDataSource({ entities: KEYGATE.entities, url: db.url });
  await dataSource.initialize();
  const config = loadConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SESSION_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    RATE_LIMITS_ENABLED: 'false',
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    LOG_LEVEL: 'trace',
    ACCESS_LOG: 'all',
  });
  sessions = new SessionTokens({ secret: TEST_SESSION_SECRET, ttlSeconds: 3600 });
  app = await buildApp({
    config,
    dataSource,
    sessionTokens: sessions,
    jobs: false,
    logger: {
      level: 'trace',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      stream: { write: (line: string) => lines.push(line) },
    },
  });
  const boot = await app.services.organizations.bootstrap({ name: 'Acme', ownerEmail: 'owner@acme.test' });
  rootKey = boot.apiKey.secret;
  orgId = boot.organization.id;
  ownerId = boot.owner.id;
});
afterAll(async () => {
  await app.close();
  await dataSource.destroy();
  await drop();
});

it('no log line carries a key, a key body, a session token or a whsec_ secret; headers show [redacted]', async () => {
  const secrets: string[] = [rootKey];
  const viewer = (headers: Record<string, string>) => injectGql(app, ViewerKindDocument, {}, headers);
  for (const h of <Record<string, string>[]>[
    { 'x-api-key': rootKey },
    { authorization: `Bearer ${rootKey}` },
    { authorization: `x-api-key ${rootKey}` },
  ]) {
    expect((await viewer(h)).status).toBe(200);
  }
  const token = await sessions.sign({ userId: ownerId, orgId });
  secrets.push(token);
  expect((await viewer({ authorization: `Bearer ${token}` })).status).toBe(200);

  const unknown = app.keyFormat.generate().secret;
  const malformed = rootKey.slice(0, -1) + (rootKey.endsWith('A') ? 'B' : 'A');
  secrets.push(unknown, malformed);
  for (const h of <Record<string, string>[]>[
    { 'x-api-key': unknown },
    { 'x-api-key': malformed },
    { authorization: `Bearer ${unknown}` },
    { authorization: `Bearer ${token}x` },
  ]) {
    expect((await viewer(h)).status).toBe(401);
  }

  const auth = { 'x-api-key': rootKey };
  const created = await injectGql(app, CreateApiKeyGrantDocument, { input: { name: 'ci', permissions: { stats: ['read'] } } }, auth);
  expect(created.status).toBe(200);
  secrets.push(created.body.data!.createApiKey.secret);
  const rotated = await injectGql(
    app,
    RotateApiKeySecretDocument,
    { id: created.body.data!.createApiKey.apiKey.id, gracePeriodSeconds: 60 },
    auth,
  );
  expect(rotated.status).toBe(200);
  secrets.push(rotated.body.data!.rotateApiKey.secret);
  const hook = await injectGql(app, CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9/h', events: ['apiKey.revoked'] } }, auth);
  expect(hook.status).toBe(200);
  const whsec = hook.body.data!.createWebhook.secret;
  expect(whsec).toMatch(/^whsec_/);
  secrets.push(whsec);
  // A secret passed where it does not belong (as a variable) must not be logged either.
  await injectGql(app, CreateWebhookSecretDocument, { input: { url: rootKey, events: [] } }, auth);

  // ACCESS_LOG=all writes one line for each of the 12 requests above, besides what trace level adds.
  expect(lines.filter((l) => l.includes('"msg":"request"')).length).toBe(12);
  const bodies = secrets.filter((s) => s.startsWith('sk_live_')).map((s) => s.slice(8, 72));
  for (const line of lines) {
    for (const s of [...secrets, ...bodies]) expect(line.includes(s)).toBe(false);
    expect(line).not.toMatch(/whsec_/);
    const entry = JSON.parse(line) as { req?: { headers?: Record<string, unknown> } };
    const headers = entry.req?.headers;
    if (headers) {
      if ('x-api-key' in headers) expect(headers['x-api-key']).toBe('[redacted]');
      if ('authorization' in headers) expect(headers.authorization).toBe('[redacted]');
    }
  }
});
