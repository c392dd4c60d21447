import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateShortLinkIdDocument, CreateWebhookDocument, WebhookDeliveriesDocument, WebhooksDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp, type SecondInstance } from '../support/harness';
import { until } from '../support/until';

/**
 * Attacker's pass (issue 20): one instance started with another ENCRYPTION_KEY (a typo, a
 * half-done rotation) cannot open the webhook signing secrets the others sealed. Its delivery
 * jobs used to throw before sending, be retried by pg-boss 3 times within minutes and be marked
 * failed: no delivery row, nothing in the console or in `keygate_webhook_deliveries_recent`, the
 * event never delivered. An attempt that cannot open its secret is now recorded as a failed
 * attempt (nothing sent) and retried on WEBHOOK_RETRY_SCHEDULE like any failure — hours, time to
 * fix the key — without counting against the receiver, which did nothing wrong.
 */
let t: TestApp;
let wrongKey: SecondInstance;
let received = 0;
const receiver = http.createServer((req, res) => {
  received++;
  req.resume().on('end', () => res.writeHead(204).end());
});
let url = '';

beforeAll(async () => {
  t = await TestApp.create();
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  wrongKey = await t.secondInstance(
    { ENCRYPTION_KEY: '1e'.repeat(32), WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1h,6h' },
    { jobs: { pollingIntervalSeconds: 0.2, dispatchIntervalMs: 100, expiryCheckIntervalMs: 3_600_000 } },
  );
});
afterAll(async () => {
  await wrongKey.close();
  await new Promise((r) => receiver.close(r));
  await t.close();
});

it('a delivery whose secret this instance cannot open is recorded as failed and retried, not dropped', async () => {
  const webhook = expectOk(await t.gql(CreateWebhookDocument, { input: { url, events: ['shortLink.created'] } })).createWebhook.webhook;
  expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com/wrong-key' } }));

  // The first attempt's job is over once it is no longer waiting or running.
  const job = await until(
    'the first delivery job to end',
    async () => {
      const [row] = await t.dataSource.query(
        `SELECT state::text, retry_count FROM pgboss.job WHERE name = 'webhook-delivery' AND data->>'webhookId' = $1 AND (data->>'attempt')::int = 1`,
        [webhook.id],
      );
      return row && !['created', 'active'].includes(row.state) && row;
    },
    20_000,
    50,
  );
  expect(job).toEqual({ state: 'completed', retry_count: 0 });
  expect(received).toBe(0);

  const [attempt] = expectOk(await t.gql(WebhookDeliveriesDocument, { webhookId: webhook.id, first: 10 })).webhookDeliveries.nodes;
  expect(attempt).toMatchObject({
    attempt: 1,
    succeeded: false,
    statusCode: null,
    error: 'not sent: this instance could not open the signing secret (its ENCRYPTION_KEY is not the one that sealed it)',
  });
  expect(attempt.nextRetryAt).not.toBeNull();
  const [next] = await t.dataSource.query(
    `SELECT state::text FROM pgboss.job WHERE name = 'webhook-delivery' AND data->>'webhookId' = $1 AND (data->>'attempt')::int = 2`,
    [webhook.id],
  );
  expect(next).toEqual({ state: 'created' });
  // The receiver did nothing wrong: its health is untouched.
  const hook = expectOk(await t.gql(WebhooksDocument)).webhooks.find((w) => w.id === webhook.id);
  expect(hook).toMatchObject({ enabled: true, consecutiveFailures: 0, lastDeliveryStatus: null });
});
