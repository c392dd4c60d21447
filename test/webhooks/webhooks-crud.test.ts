import {
  CreateWebhookDocument,
  DeleteWebhookDocument,
  RotateWebhookSecretDocument,
  TestWebhookDocument,
  UpdateWebhookDocument,
  WebhookDeliveriesDocument,
  WebhooksDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({
    overrides: { webhookLookup: async () => [{ address: '93.184.216.34', family: 4 }] },
    env: { WEBHOOKS_ALLOW_PRIVATE: 'false' },
  });
});
afterAll(() => t.close());

async function create(events = ['apiKey.created']) {
  return expectOk(await t.gql(CreateWebhookDocument, { input: { url: 'https://hooks.example.com/in', events, description: 'CRM sync' } }))
    .createWebhook;
}

describe('webhook endpoints', () => {
  it('create returns the secret once; the list never shows it', async () => {
    const { secret, webhook } = await create();
    expect(webhook).toMatchObject({
      url: 'https://hooks.example.com/in',
      events: ['apiKey.created'],
      description: 'CRM sync',
      enabled: true,
      consecutiveFailures: 0,
      lastDeliveryAt: null,
      lastDeliveryStatus: null,
    });
    const listed = await t.gql(WebhooksDocument);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(expectOk(listed).webhooks.map((w) => w.id)).toContain(webhook.id);
  });

  it('update changes url, events, description; re-enabling resets the failure run', async () => {
    const { webhook } = await create();
    await t.dataSource.query('UPDATE webhooks SET enabled = false, consecutive_failures = 7 WHERE id = $1', [webhook.id]);
    const updated = expectOk(
      await t.gql(UpdateWebhookDocument, {
        id: webhook.id,
        input: { url: 'https://hooks.example.com/v2', events: ['shortLink.created', 'ping'], description: null, enabled: true },
      }),
    ).updateWebhook;
    expect(updated).toEqual({
      id: webhook.id,
      url: 'https://hooks.example.com/v2',
      events: ['shortLink.created', 'ping'],
      description: null,
      enabled: true,
      consecutiveFailures: 0,
    });
    expectError(await t.gql(UpdateWebhookDocument, { id: webhook.id, input: {} }), 'BAD_USER_INPUT', 400);
    expect(
      expectError(await t.gql(UpdateWebhookDocument, { id: webhook.id, input: { events: [] } }), 'BAD_USER_INPUT', 400).fields,
    ).toEqual({ 'input.events': 'Subscribe to at least one event.' });
  });

  it('a loopback URL is refused with a message that names WEBHOOKS_ALLOW_PRIVATE', async () => {
    const res = await t.gql(CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9000/keygate', events: ['ping'] } });
    const message =
      'Webhook URL resolves to a loopback address (127.0.0.1), which is not allowed. ' +
      'Loopback and private addresses are allowed only when keygate runs with WEBHOOKS_ALLOW_PRIVATE=true (local development).';
    expect(expectError(res, 'BAD_USER_INPUT', 400)).toEqual({ code: 'BAD_USER_INPUT', fields: { 'input.url': message } });
    expect(res.body.errors![0].message).toBe(message);
  });

  it('rotateWebhookSecret returns a new secret and seals it; the old one no longer decrypts as current', async () => {
    const { secret, webhook } = await create();
    const [before] = await t.dataSource.query('SELECT secret_sealed FROM webhooks WHERE id = $1', [webhook.id]);
    const rotated = expectOk(await t.gql(RotateWebhookSecretDocument, { id: webhook.id })).rotateWebhookSecret;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);
    const [after] = await t.dataSource.query('SELECT secret_sealed FROM webhooks WHERE id = $1', [webhook.id]);
    expect(after.secret_sealed).not.toBe(before.secret_sealed);
    expect(after.secret_sealed).not.toContain(rotated.secret.slice(6));
  });

  it('delete removes it; another organization’s webhook is NOT_FOUND for every operation', async () => {
    const { webhook } = await create();
    const other = await t.createOtherOrganization('Hooker');
    const as = { key: other.rootKey };
    expectError(await t.gql(UpdateWebhookDocument, { id: webhook.id, input: { description: 'x' } }, as), 'NOT_FOUND', 200);
    expectError(await t.gql(RotateWebhookSecretDocument, { id: webhook.id }, as), 'NOT_FOUND', 200);
    expectError(await t.gql(TestWebhookDocument, { id: webhook.id }, as), 'NOT_FOUND', 200);
    expectError(await t.gql(WebhookDeliveriesDocument, { webhookId: webhook.id }, as), 'NOT_FOUND', 200);
    expectError(await t.gql(DeleteWebhookDocument, { id: webhook.id }, as), 'NOT_FOUND', 200);
    expect(expectOk(await t.gql(WebhooksDocument, {}, as)).webhooks).toEqual([]);
    expect(expectOk(await t.gql(DeleteWebhookDocument, { id: webhook.id })).deleteWebhook).toBe(webhook.id);
    expectError(await t.gql(DeleteWebhookDocument, { id: webhook.id }), 'NOT_FOUND', 200);
  });

  it('each operation needs its webhooks scope', async () => {
    const { webhook } = await create();
    const readOnly = (await t.createKey({ webhooks: ['read'] })).secret;
    expectForbidden(
      await t.gql(CreateWebhookDocument, { input: { url: 'https://hooks.example.com/z', events: ['ping'] } }, { key: readOnly }),
      'webhooks:create',
    );
    expectForbidden(
      await t.gql(UpdateWebhookDocument, { id: webhook.id, input: { description: 'z' } }, { key: readOnly }),
      'webhooks:update',
    );
    expectForbidden(await t.gql(RotateWebhookSecretDocument, { id: webhook.id }, { key: readOnly }), 'webhooks:update');
    expectForbidden(await t.gql(DeleteWebhookDocument, { id: webhook.id }, { key: readOnly }), 'webhooks:delete');
    const none = (await t.createKey({ stats: ['read'] })).secret;
    expectForbidden(await t.gql(WebhooksDocument, {}, { key: none }), 'webhooks:read');
  });
});

describe('expiry alerts', () => {
  it('emits apiKey.expiring once at 7 days and once in the last day, never for revoked keys', async () => {
    const soon = await t.createKey({ stats: ['read'] }, { name: 'soon', expiresInDays: 5 });
    const lastDay = await t.createKey({ stats: ['read'] }, { name: 'last day', expiresInDays: 1 });
    const revoked = await t.createKey({ stats: ['read'] }, { name: 'revoked', expiresInDays: 2 });
    await t.createKey({ stats: ['read'] }, { name: 'far', expiresInDays: 60 });
    await t.app.services.apiKeys.revoke(t.owner.caller, revoked.id, null);
    const alerts = async () =>
      (await t.dataSource.query(
        "SELECT target_id, metadata->>'window' AS w, actor_kind FROM audit_events WHERE action = 'API_KEY_EXPIRING' ORDER BY created_at, target_id",
      )) as {
        target_id: string;
        w: string;
        actor_kind: string;
      }[];

    expect(await t.app.services.expiry.run()).toBe(2);
    expect((await alerts()).map((a) => [a.target_id, a.w, a.actor_kind]).sort()).toEqual(
      [
        [soon.id, '7 days', 'SYSTEM'],
        [lastDay.id, '1 day', 'SYSTEM'],
      ].sort(),
    );
    expect(await t.app.services.expiry.run()).toBe(0);

    // Four days later the 5-day key enters its last day: one more alert, then silence.
    expect(await t.app.services.expiry.run(new Date(Date.now() + 4.5 * 86_400_000))).toBe(1);
    expect((await alerts()).filter((a) => a.target_id === soon.id).map((a) => a.w)).toEqual(['7 days', '1 day']);
    expect(await t.app.services.expiry.run(new Date(Date.now() + 4.6 * 86_400_000))).toBe(0);
    const events = await t.dataSource.query("SELECT count(*)::int AS n FROM webhook_events WHERE type = 'apiKey.expiring'");
    expect(events[0].n).toBe(3);
  });
});
