import { Client } from 'pg';
import { ALL_PERMISSIONS } from '../support/access';
import { Role } from '../../src/kernel/access';
import {
  CreateShortLinkBareDocument,
  RemoveMemberBareDocument,
  RevokeApiKeyStatusDocument,
  UpdateApiKeyBareDocument,
  UpdateMemberRoleBareDocument,
  ViewerKindDocument,
} from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp, type GqlResponse } from '../support/harness';
import { WebhookReceiver } from '../support/webhook-receiver';

// Literal documents: what the principal under test sends reproduces issue 8 §5; the owner's and setup traffic comes from codegen.

/**
 * Issue 8 §5: authority must still hold when a change commits. A request is authenticated once,
 * at its start; each change re-checks its principal inside its own transaction, so a revocation,
 * removal or demotion that commits first wins, even against a request already running.
 */

let t: TestApp;
let receiver: WebhookReceiver;
let slowWebhookId: string;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  t = await TestApp.create();
  slowWebhookId = (await t.app.services.webhooks.create(t.owner.caller, { url: receiver.url, events: ['ping'] })).webhook.id;
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

/**
 * Sends `later` as the second mutation of one request whose first mutation is a ping to an
 * endpoint that holds it; runs `meanwhile` once the ping has arrived, then lets it go.
 */
async function slowRequestThen(
  auth: { key: string } | { token: string },
  later: string,
  meanwhile: () => Promise<void>,
): Promise<GqlResponse<any>> {
  receiver.hold();
  const arrived = receiver.next();
  const pending = t.gql(`mutation { ping: testWebhook(id: "${slowWebhookId}") { succeeded } ${later} }`, {}, auth);
  await arrived;
  await meanwhile();
  receiver.release();
  return pending;
}

let pings = 0;
const pingsDelivered = async () =>
  (await t.dataSource.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND succeeded', [slowWebhookId]))[0].n;

const keysNamed = async (name: string) =>
  (await t.dataSource.query('SELECT count(*)::int AS n FROM api_keys WHERE name = $1', [name]))[0].n;

it('an ADMIN removed while its request runs: the later createApiKey does not commit', async () => {
  const admin = await t.addMember('admin@acme.test', Role.ADMIN);
  const res = await slowRequestThen(
    { token: admin.token },
    'late: createApiKey(input: { name: "created after removal", permissions: { members: [create, read, update, delete] } }) { secret }',
    async () => {
      expectOk(await t.gql(RemoveMemberBareDocument, { userId: admin.userId }, { token: t.owner.token }));
    },
  );
  // The ping went out; the later mutation's non-null payload failing nulls `data` as GraphQL does.
  expect(res.body.data).toBeNull();
  expect(await pingsDelivered()).toBe(++pings);
  expect(res.body.errors?.map((e) => ({ path: e.path, extensions: e.extensions }))).toEqual([
    { path: ['late'], extensions: { code: 'UNAUTHENTICATED', reason: 'INVALID_SESSION' } },
  ]);
  expect(await keysNamed('created after removal')).toBe(0);
});

it('an ADMIN demoted to MEMBER while its request runs: the later change needs what it no longer holds', async () => {
  const admin = await t.addMember('demoted@acme.test', Role.ADMIN);
  const res = await slowRequestThen(
    { token: admin.token },
    'late: createApiKey(input: { name: "created after demotion", permissions: {} }) { secret }',
    async () => {
      expectOk(await t.gql(UpdateMemberRoleBareDocument, { userId: admin.userId, role: 'MEMBER' }, { token: t.owner.token }));
    },
  );
  // The ping went out; the later mutation's non-null payload failing nulls `data` as GraphQL does.
  expect(res.body.data).toBeNull();
  expect(await pingsDelivered()).toBe(++pings);
  expect(res.body.errors?.map((e) => ({ path: e.path, extensions: e.extensions }))).toEqual([
    { path: ['late'], extensions: { code: 'FORBIDDEN', required: ['apiKeys:create'] } },
  ]);
  expect(await keysNamed('created after demotion')).toBe(0);
});

it('a key revoked while its request runs: the later createShortLink does not commit', async () => {
  const key = await t.createKey(ALL_PERMISSIONS, { name: 'revoked mid-request' });
  const res = await slowRequestThen(
    { key: key.secret },
    'late: createShortLink(input: { url: "https://example.com/late", slug: "after-revoke" }) { id }',
    async () => {
      expectOk(await t.gql(RevokeApiKeyStatusDocument, { id: key.id }));
    },
  );
  // The ping went out; the later mutation's non-null payload failing nulls `data` as GraphQL does.
  expect(res.body.data).toBeNull();
  expect(await pingsDelivered()).toBe(++pings);
  expect(res.body.errors?.map((e) => ({ path: e.path, extensions: e.extensions }))).toEqual([
    { path: ['late'], extensions: { code: 'UNAUTHENTICATED', reason: 'REVOKED' } },
  ]);
  expect((await t.dataSource.query("SELECT count(*)::int AS n FROM short_links WHERE slug = 'after-revoke'"))[0].n).toBe(0);
});

it('a key narrowed while its request runs: the later change needs the scope it lost', async () => {
  const key = await t.createKey(ALL_PERMISSIONS, { name: 'narrowed mid-request' });
  const res = await slowRequestThen(
    { key: key.secret },
    'late: createShortLink(input: { url: "https://example.com/late", slug: "after-narrowing" }) { __typename }',
    async () => {
      expectOk(await t.gql(UpdateApiKeyBareDocument, { id: key.id, input: { permissions: { webhooks: ['update'] } } }));
    },
  );
  expect(res.body.errors?.map((e) => ({ path: e.path, extensions: e.extensions }))).toEqual([
    // Everything the request was admitted with must still be held: here webhooks:read (the ping's payload) too.
    { path: ['late'], extensions: { code: 'FORBIDDEN', required: ['shortLinks:create', 'webhooks:read'] } },
  ]);
  expect((await t.dataSource.query("SELECT count(*)::int AS n FROM short_links WHERE slug = 'after-narrowing'"))[0].n).toBe(0);
});

it('a revocation in progress when a change starts: the change waits for it, then sees it (no commit after the revocation)', async () => {
  const key = await t.createKey(ALL_PERMISSIONS, { name: 'revoked concurrently' });
  // Warm the verification cache: the request authenticates without touching the database.
  expectOk(await t.gql(ViewerKindDocument, {}, { key: key.secret }));

  const revoker = new Client({ connectionString: t.databaseUrl });
  await revoker.connect();
  try {
    await revoker.query('BEGIN');
    await revoker.query('SELECT id FROM api_keys WHERE id = $1 FOR UPDATE', [key.id]);
    await revoker.query("UPDATE api_keys SET status = 'REVOKED', revoked_at = now() WHERE id = $1", [key.id]);

    let settled = false;
    const pending = t
      .gql(
        'mutation { createShortLink(input: { url: "https://example.com/race", slug: "race-lost" }) { __typename } }',
        {},
        { key: key.secret },
      )
      .finally(() => (settled = true));
    // Wait until the change is blocked on the revoker's row lock (an event, not a delay); if it
    // answers without ever waiting, it did not check, and the assertions below say so.
    while (!settled) {
      const { rows } = await revoker.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      if (rows[0].n > 0) break;
      await new Promise((r) => setImmediate(r));
    }
    await revoker.query('COMMIT');
    const res = await pending;
    expect(res.status).toBe(401);
    expect(res.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'UNAUTHENTICATED', reason: 'REVOKED' }]);
  } finally {
    await revoker.end();
  }
  expect((await t.dataSource.query("SELECT count(*)::int AS n FROM short_links WHERE slug = 'race-lost'"))[0].n).toBe(0);
});

it('the check is one statement inside the change’s transaction, before the change', async () => {
  const { result, statements } = await t.countQueries(() =>
    t.gql(CreateShortLinkBareDocument, { input: { url: 'https://example.com/counted' } }),
  );
  expectOk(result);
  const begin = statements.findIndex((s) => /^START TRANSACTION|^BEGIN/i.test(s.trim()));
  expect(statements[begin + 1]).toMatch(/FOR KEY SHARE OF k/);
  expect(statements.filter((s) => /FOR KEY SHARE/.test(s))).toHaveLength(1);
});

it('concurrent changes by one person queue instead of deadlocking on their own membership lock', async () => {
  const person = await t.addMember('busy@acme.test', Role.ADMIN);
  for (let round = 0; round < 10; round++) {
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) =>
        t.app.services.apiKeys.create(person.caller, {
          name: `user key ${round}.${i}`,
          type: 'USER' as never,
          permissions: { stats: ['read'] },
        }),
      ),
    );
    const outcomes = results.map((r) =>
      r.status === 'fulfilled'
        ? 'OK'
        : ((r.reason as { extensions?: { code?: string }; code?: string }).extensions?.code ?? (r.reason as { code?: string }).code),
    );
    expect(outcomes.sort()).toEqual(['CONFLICT', 'CONFLICT', 'OK']);
    await t.sql('UPDATE api_keys SET deleted_at = now() WHERE owner_user_id = $1', [person.userId]);
  }
});
