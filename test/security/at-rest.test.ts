import { createHash } from 'node:crypto';
import {
  CreateApiKeyGrantDocument,
  type CreateApiKeyInput,
  CreateWebhookDocument,
  DeleteApiKeyDocument,
  DeleteWebhookDocument,
  RevokeApiKeyBareDocument,
  RotateApiKeySecretDocument,
  RotateWebhookSecretDocument,
  ViewerKindDocument,
} from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/** After a full lifecycle, no secret is readable anywhere in the database; keys are stored as SHA-256 only. */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

it('no key secret, key body, whsec_ secret or session token is stored; secret_hash is sha256(secret)', async () => {
  const keySecrets: string[] = [t.rootKey];
  const webhookSecrets: string[] = [];
  const create = (input: CreateApiKeyInput) => t.gql(CreateApiKeyGrantDocument, { input });
  const a = expectOk(await create({ name: 'a', permissions: { stats: ['read'] } })).createApiKey;
  const b = expectOk(await create({ name: 'b', permissions: { shortLinks: ['read'] }, expiresInDays: 30 })).createApiKey;
  const c = expectOk(await create({ name: 'c', permissions: { stats: ['read'] } })).createApiKey;
  keySecrets.push(a.secret, b.secret, c.secret);
  const rotated = expectOk(await t.gql(RotateApiKeySecretDocument, { id: a.apiKey.id, gracePeriodSeconds: 3600 })).rotateApiKey;
  keySecrets.push(rotated.secret);
  // Both the old (in grace) and the new secret of the rotated key still authenticate.
  expectOk(await t.gql(ViewerKindDocument, {}, { key: a.secret }));
  expectOk(await t.gql(ViewerKindDocument, {}, { key: rotated.secret }));

  const w1 = expectOk(
    await t.gql(CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9/a', events: ['apiKey.revoked'] } }),
  ).createWebhook;
  const w2 = expectOk(
    await t.gql(CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9/b', events: ['shortLink.created'] } }),
  ).createWebhook;
  webhookSecrets.push(w1.secret, w2.secret);
  const rw = expectOk(await t.gql(RotateWebhookSecretDocument, { id: w1.webhook.id })).rotateWebhookSecret;
  webhookSecrets.push(rw.secret);
  for (const s of webhookSecrets) expect(s).toMatch(/^whsec_/);

  expectOk(await t.gql(RevokeApiKeyBareDocument, { id: b.apiKey.id, reason: 'leaked' }));
  expectOk(await t.gql(DeleteApiKeyDocument, { id: c.apiKey.id }));
  expectOk(await t.gql(DeleteWebhookDocument, { id: w2.webhook.id }));
  expectOk(await t.gql(ViewerKindDocument, {}, { token: t.owner.token }));
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
