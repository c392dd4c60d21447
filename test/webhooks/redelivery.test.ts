import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  AuditLogDocument,
  CreateShortLinkIdDocument,
  CreateWebhookDocument,
  DeleteWebhookDocument,
  RedeliverWebhookDeliveryDocument,
  TestWebhookDocument,
  UpdateWebhookDocument,
  WebhookDeliveryLogDocument,
  WebhookRedeliverCapabilityDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectRuleRefusal } from '../support/expect';
import { Role } from '../../src/kernel/access';
import { TestApp } from '../support/harness';
import { until } from '../support/until';
import { WebhookReceiver, type Received } from '../support/webhook-receiver';

/**
 * redeliverWebhookDelivery: the same event (id and payload) sent again through the normal
 * delivery path as a new, recorded attempt; only in the caller's organization, only to an enabled
 * endpoint still subscribed to it, only by someone who may read the event.
 */
const JOBS = { pollingIntervalSeconds: 0.2, dispatchIntervalMs: 100, expiryCheckIntervalMs: 3_600_000 };

let t: TestApp;
let receiver: WebhookReceiver;
/** The endpoint, its secret, and the first delivery of one shortLink.created event to it. */
let hook: { id: string; secret: string };
let first: { delivery: { id: string; eventId: string }; received: Received };

beforeAll(async () => {
  t = await TestApp.create({ jobs: JOBS });
  receiver = await WebhookReceiver.start();
  const created = expectOk(await t.gql(CreateWebhookDocument, { input: { url: receiver.url, events: ['shortLink.created'] } }));
  hook = { id: created.createWebhook.webhook.id, secret: created.createWebhook.secret };
  const arrived = receiver.next();
  expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com/redeliver-me' } }));
  const received = await arrived;
  const [delivery] = await until('the first attempt recorded', async () => {
    const nodes = expectOk(await t.gql(WebhookDeliveryLogDocument, { webhookId: hook.id })).webhookDeliveries.nodes;
    return nodes.length === 1 && nodes;
  });
  first = { delivery, received };
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

const log = async () => expectOk(await t.gql(WebhookDeliveryLogDocument, { webhookId: hook.id })).webhookDeliveries.nodes;
const redeliveredAudits = async () =>
  expectOk(await t.gql(AuditLogDocument, { filter: { action: 'WEBHOOK_REDELIVERED' } })).auditLog.nodes.map((e) => e.metadata);

describe('happy', () => {
  it('sends the same event id and payload again, signed, and records it as the next attempt', async () => {
    expect(first.delivery).toMatchObject({ attempt: 1, succeeded: true, statusCode: 200, eventType: 'shortLink.created' });
    const arrived = receiver.next();
    const res = expectOk(await t.gql(RedeliverWebhookDeliveryDocument, { id: first.delivery.id })).redeliverWebhookDelivery;
    const again = await arrived;

    expect(again.headers['webhook-id']).toBe(first.delivery.eventId);
    expect(again.headers['webhook-id']).toBe(first.received.headers['webhook-id']);
    expect(again.body).toBe(first.received.body);
    expect(JSON.parse(again.body)).toMatchObject({ type: 'shortLink.created', organizationId: t.org.id });
    expect(() => new StandardWebhook(hook.secret).verify(again.body, again.headers as Record<string, string>)).not.toThrow();

    expect(res).toEqual({
      id: expect.any(String),
      webhookId: hook.id,
      eventId: first.delivery.eventId,
      eventType: 'shortLink.created',
      attempt: 2,
      succeeded: true,
      statusCode: 200,
      error: null,
      nextRetryAt: null,
    });
    expect(res.id).not.toBe(first.delivery.id);
    expect((await log()).map((d) => [d.id, d.attempt, d.statusCode])).toEqual([
      [res.id, 2, 200],
      [first.delivery.id, 1, 200],
    ]);
    expect(await redeliveredAudits()).toEqual([
      { eventId: first.delivery.eventId, eventType: 'shortLink.created', deliveryId: first.delivery.id },
    ]);
  });

  it('redelivering a redelivery takes the next number again', async () => {
    const [latest] = await log();
    const arrived = receiver.next();
    const res = expectOk(await t.gql(RedeliverWebhookDeliveryDocument, { id: latest.id })).redeliverWebhookDelivery;
    expect((await arrived).headers['webhook-id']).toBe(first.delivery.eventId);
    expect(res.attempt).toBe(3);
    expect((await log()).map((d) => d.attempt)).toEqual([3, 2, 1]);
  });
});

describe('a failed redelivery', () => {
  it('is recorded with its error and retried on the schedule for its attempt number', async () => {
    // Nothing listens on port 9: the connection is refused.
    const { createWebhook } = expectOk(await t.gql(CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9/down', events: ['ping'] } }));
    const ping = expectOk(await t.gql(TestWebhookDocument, { id: createWebhook.webhook.id })).testWebhook;
    expect(ping).toMatchObject({ attempt: 1, succeeded: false, statusCode: null });
    const [pinged] = expectOk(await t.gql(WebhookDeliveryLogDocument, { webhookId: createWebhook.webhook.id })).webhookDeliveries.nodes;
    const before = Date.now();
    const res = expectOk(await t.gql(RedeliverWebhookDeliveryDocument, { id: pinged.id })).redeliverWebhookDelivery;
    expect(res).toMatchObject({ eventId: pinged.eventId, eventType: 'ping', attempt: 2, succeeded: false, statusCode: null });
    expect(res.error).toContain('ECONNREFUSED');
    // The default schedule's second delay (2 minutes, ±10%) follows attempt 2.
    const due = Date.parse(res.nextRetryAt!) - before;
    expect(due).toBeGreaterThan(100_000);
    expect(due).toBeLessThan(135_000);
    await t.gql(DeleteWebhookDocument, { id: createWebhook.webhook.id });
  });
});

describe('error', () => {
  it('an unknown or malformed id is NOT_FOUND, and nothing is sent or audited', async () => {
    const before = receiver.received.length;
    const audits = (await redeliveredAudits()).length;
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const ext = expectError(await t.gql(RedeliverWebhookDeliveryDocument, { id }), 'NOT_FOUND', 200);
      expect(ext).toEqual({ code: 'NOT_FOUND' });
    }
    expect(receiver.received.length).toBe(before);
    expect((await redeliveredAudits()).length).toBe(audits);
  });

  it('a disabled webhook refuses with CONFLICT, and viewerCan.redeliver says so', async () => {
    const before = receiver.received.length;
    expectOk(await t.gql(UpdateWebhookDocument, { id: hook.id, input: { enabled: false } }));
    try {
      const res = await t.gql(RedeliverWebhookDeliveryDocument, { id: first.delivery.id });
      expect(expectError(res, 'CONFLICT', 200)).toEqual({ code: 'CONFLICT' });
      expect(res.body.errors![0].message).toBe('The webhook is disabled; enable it before redelivering.');
      const can = expectOk(await t.gql(WebhookRedeliverCapabilityDocument)).webhooks.find((w) => w.id === hook.id)!.viewerCan;
      expect(can.redeliver).toBe(false);
      expect(can.reasons).toEqual([
        { action: 'redeliver', reason: 'The webhook is disabled; enable it before redelivering.', code: 'CONFLICT' },
      ]);
    } finally {
      expectOk(await t.gql(UpdateWebhookDocument, { id: hook.id, input: { enabled: true } }));
    }
    expect(receiver.received.length).toBe(before);
  });

  it('an event the webhook no longer subscribes to is not sent to it again', async () => {
    const before = receiver.received.length;
    expectOk(await t.gql(UpdateWebhookDocument, { id: hook.id, input: { events: ['apiKey.revoked'] } }));
    try {
      const res = await t.gql(RedeliverWebhookDeliveryDocument, { id: first.delivery.id });
      expectError(res, 'CONFLICT', 200);
      expect(res.body.errors![0].message).toBe(
        'The webhook no longer subscribes to shortLink.created; add it to its events before redelivering.',
      );
    } finally {
      expectOk(await t.gql(UpdateWebhookDocument, { id: hook.id, input: { events: ['shortLink.created'] } }));
    }
    expect(receiver.received.length).toBe(before);
  });
});

describe('security', () => {
  it('another organization’s delivery is NOT_FOUND, as if it did not exist', async () => {
    const other = await t.createOtherOrganization('Redeliverers');
    const before = receiver.received.length;
    const rows = (await log()).length;
    expectError(await t.gql(RedeliverWebhookDeliveryDocument, { id: first.delivery.id }, { key: other.rootKey }), 'NOT_FOUND', 200);
    expect(receiver.received.length).toBe(before);
    expect((await log()).length).toBe(rows);
  });

  it('needs webhooks:update: a read-only key is refused before anything runs', async () => {
    const readOnly = await t.createKey({ webhooks: ['read'], shortLinks: ['read'] });
    const before = receiver.received.length;
    expectForbidden(await t.gql(RedeliverWebhookDeliveryDocument, { id: first.delivery.id }, { key: readOnly.secret }), 'webhooks:update');
    expect(receiver.received.length).toBe(before);
  });

  it('needs read on the event: webhooks:update without shortLinks:read is EVENT_NEEDS_READ, nothing sent or audited', async () => {
    const updater = await t.createKey({ webhooks: ['read', 'update'] });
    const before = receiver.received.length;
    const audits = (await redeliveredAudits()).length;
    const res = await t.gql(RedeliverWebhookDeliveryDocument, { id: first.delivery.id }, { key: updater.secret });
    expectRuleRefusal(res, 'EVENT_NEEDS_READ', ['shortLinks:read']);
    expect(receiver.received.length).toBe(before);
    expect((await redeliveredAudits()).length).toBe(audits);
  });

  it('authority is re-checked in the transaction: a member demoted after admission sends nothing', async () => {
    const member = await t.addMember('redeliverer@acme.test', Role.MEMBER);
    // The request was admitted as a MEMBER (member.caller); a demotion commits before its change runs.
    await t.sql('UPDATE memberships SET role = $1 WHERE user_id = $2', ['VIEWER', member.userId]);
    const before = receiver.received.length;
    await expect(t.app.services.webhooks.redeliver(member.caller, first.delivery.id)).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN', required: ['webhooks:update'] },
    });
    expect(receiver.received.length).toBe(before);
  });
});
