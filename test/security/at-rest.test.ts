import { createHash } from 'node:crypto';
import { TestApp } from '../support/harness';

/** After a full lifecycle, no secret is readable anywhere in the database; keys are stored as SHA-256 only. */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function ok(res: { status: number; body: { errors?: unknown; data?: any } }) {
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.data;
}

it('no key secret, key body, whsec_ secret or session token is stored; secret_hash is sha256(secret)', async () => {
  const keySecrets: string[] = [t.rootKey];
  const webhookSecrets: string[] = [];
  const create = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`;
  const a = ok(await t.gql(create, { input: { name: 'a', permissions: { stats: ['read'] } } })).createApiKey;
  const b = ok(await t.gql(create, { input: { name: 'b', permissions: { shortLinks: ['read'] }, expiresInDays: 30 } })).createApiKey;
  const c = ok(await t.gql(create, { input: { name: 'c', permissions: { stats: ['read'] } } })).createApiKey;
  keySecrets.push(a.secret, b.secret, c.secret);
  const rotated = ok(await t.gql(`mutation($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: 3600) { secret } }`, { id: a.apiKey.id })).rotateApiKey;
  keySecrets.push(rotated.secret);
  // Both the old (in grace) and the new secret of the rotated key still authenticate.
  ok(await t.gql('{ viewer { kind } }', {}, { key: a.secret }));
  ok(await t.gql('{ viewer { kind } }', {}, { key: rotated.secret }));

  const hook = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }`;
  const w1 = ok(await t.gql(hook, { input: { url: 'http://127.0.0.1:9/a', events: ['apiKey.revoked'] } })).createWebhook;
  const w2 = ok(await t.gql(hook, { input: { url: 'http://127.0.0.1:9/b', events: ['shortLink.created'] } })).createWebhook;
  webhookSecrets.push(w1.secret, w2.secret);
  const rw = ok(await t.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: w1.webhook.id })).rotateWebhookSecret;
  webhookSecrets.push(rw.secret);
  for (const s of webhookSecrets) expect(s).toMatch(/^whsec_/);

  ok(await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id, reason: "leaked") { id } }`, { id: b.apiKey.id }));
  ok(await t.gql(`mutation($id: ID!) { deleteApiKey(id: $id) }`, { id: c.apiKey.id }));
  ok(await t.gql(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: w2.webhook.id }));
  ok(await t.gql('{ viewer { kind } }', {}, { token: t.owner.token }));
  await t.app.services.usage.flush();

  const tables: { table_name: string }[] = await t.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  expect(tables.map((x) => x.table_name)).toEqual(expect.arrayContaining(['api_keys', 'api_key_secrets', 'webhooks', 'audit_events']));
  let dump = '';
  let rows = 0;
  for (const { table_name } of tables) {
    const result: { j: string }[] = await t.dataSource.query(`SELECT row_to_json(t)::text AS j FROM "${table_name}" t`);
    rows += result.length;
    dump += result.map((r) => r.j).join('\n') + '\n';
  }
  expect(rows).toBeGreaterThan(10);
  // The dump is real: it holds the ids and hashes we expect.
  expect(dump).toContain(a.apiKey.id);
  expect(dump).toContain(w1.webhook.id);

  const bodies = keySecrets.map((s) => s.slice('sk_live_'.length, 'sk_live_'.length + 64));
  for (const b64 of bodies) expect(b64).toMatch(/^[0-9a-f]{64}$/);
  for (const s of [...keySecrets, ...bodies, ...webhookSecrets, ...webhookSecrets.map((s) => s.slice('whsec_'.length)), t.owner.token]) {
    expect(dump.includes(s)).toBe(false);
  }
  expect(dump).not.toMatch(/whsec_/);
  expect(dump).not.toMatch(/sk_live_[0-9a-f]{64}/);

  const hashes: { secret_hash: string }[] = await t.dataSource.query('SELECT secret_hash FROM api_key_secrets');
  const stored = hashes.map((h) => h.secret_hash.trim()).sort();
  // Deleting a key may or may not keep its secret rows; every stored hash is one of ours, and every live secret's hash is stored.
  const expected = keySecrets.map(sha256);
  for (const h of stored) expect(expected).toContain(h);
  for (const s of [t.rootKey, a.secret, rotated.secret, b.secret]) expect(stored).toContain(sha256(s));
});
