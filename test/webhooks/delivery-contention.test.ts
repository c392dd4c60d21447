import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { Webhook } from '../../src/modules/webhooks/webhook.entity';
import { WebhookEvent } from '../../src/modules/webhooks/webhook-event.entity';
import { TestApp } from '../support/harness';

/**
 * Every delivery to one endpoint updates the endpoint's row (its health). A successful delivery
 * must not wait for another delivery's lock on that row: in a burst from several instances such
 * waits passed the statement timeout, rolled back attempts whose requests had been answered, and
 * the events were sent again (webhook-deliverer.ts, recordHealth). A failure still counts under the lock.
 */
let t: TestApp;
let status = 204;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(status).end());
});
let url = '';
beforeAll(async () => {
  t = await TestApp.create();
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await new Promise((r) => receiver.close(r));
  await t.close();
});

async function event(): Promise<WebhookEvent> {
  return t.dataSource
    .getRepository(WebhookEvent)
    .save({ orgId: t.org.id, type: 'shortLink.created', payload: { type: 'shortLink.created', data: {} } });
}

it('a success records its attempt while another delivery holds the endpoint row; a failure then counts under it', async () => {
  const { webhook: created } = await t.app.services.webhooks.create(t.owner.caller, { url, events: ['shortLink.created'] });
  const webhook = await t.dataSource.getRepository(Webhook).findOneByOrFail({ id: created.id });
  const deliverer = t.app.services.deliverer;

  const other = new Client({ connectionString: t.databaseUrl });
  await other.connect();
  try {
    await other.query('BEGIN');
    // What another delivery's UPDATE of the row holds until it commits.
    await other.query('SELECT id FROM webhooks WHERE id = $1 FOR NO KEY UPDATE', [webhook.id]);
    // Resolves while the row is still locked: before, it waited for the lock (until the statement timeout).
    const first = await deliverer.attempt(webhook, await event(), 1, { retry: false });
    expect([first.succeeded, first.statusCode]).toEqual([true, 204]);
    await other.query('ROLLBACK');
  } finally {
    await other.end();
  }
  // Skipped while locked: the row has no delivery stamped yet.
  const untouched = await t.dataSource.query('SELECT last_delivery_status, consecutive_failures FROM webhooks WHERE id = $1', [webhook.id]);
  expect(untouched[0]).toEqual({ last_delivery_status: null, consecutive_failures: 0 });

  status = 500;
  const failed = await deliverer.attempt(webhook, await event(), 1, { retry: false });
  expect([failed.succeeded, failed.statusCode]).toEqual([false, 500]);
  status = 204;
  const ok = await deliverer.attempt(webhook, await event(), 1, { retry: false });
  expect(ok.succeeded).toBe(true);
  const health = await t.dataSource.query('SELECT last_delivery_status, consecutive_failures FROM webhooks WHERE id = $1', [webhook.id]);
  expect(health[0]).toEqual({ last_delivery_status: 204, consecutive_failures: 0 });
});
