import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CreateShortLinkIdDocument, CreateWebhookDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { until } from '../support/until';
import { TestApp } from '../support/harness';

/**
 * One slow endpoint delays only itself. An endpoint that accepts deliveries and never answers
 * has 25 events queued; another organization's endpoint still gets its delivery at once — long
 * before the hanging endpoint's first attempt can even time out (30 s here) — because deliveries
 * run independently, at most WEBHOOK_CONCURRENCY_PER_ENDPOINT at once per endpoint, and jobs over
 * that cap are left queued (the fetch skips them) instead of holding a worker.
 */
class HangingReceiver {
  open = 0;
  received = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server = http.createServer((req) => {
    this.received++;
    this.open++;
    req.on('close', () => this.open--);
    // Read the body, never answer.
    req.resume();
  });
  url = '';
  async start() {
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hang`;
  }
  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

let t: TestApp;
let hanging: HangingReceiver;
let fast: http.Server;
let fastUrl: string;
beforeAll(async () => {
  t = await TestApp.create({
    jobs: { pollingIntervalSeconds: 0.2, dispatchIntervalMs: 100, expiryCheckIntervalMs: 3_600_000 },
    env: { WEBHOOK_TIMEOUT_MS: '30000', WEBHOOK_CONCURRENCY_PER_ENDPOINT: '2' },
  });
  hanging = new HangingReceiver();
  await hanging.start();
  fast = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((r) => fast.listen(0, '127.0.0.1', r));
  fastUrl = `http://127.0.0.1:${(fast.address() as AddressInfo).port}/ok`;
});
afterAll(async () => {
  // Cut the hanging connections so the deliveries in flight end and the workers can stop.
  await hanging.stop();
  await new Promise((r) => fast.close(r));
  await t.close();
});

it('a hanging endpoint with 25 queued events does not delay another organization’s delivery', async () => {
  const other = await t.createOtherOrganization('Unaffected');
  const slowHook = expectOk(await t.gql(CreateWebhookDocument, { input: { url: hanging.url, events: ['shortLink.created'] } }))
    .createWebhook.webhook.id;
  const fastHook = expectOk(
    await t.gql(CreateWebhookDocument, { input: { url: fastUrl, events: ['shortLink.created'] } }, { key: other.rootKey }),
  ).createWebhook.webhook.id;

  for (let i = 0; i < 25; i++) expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: `https://example.com/slow/${i}` } }));
  // All 25 are queued for the hanging endpoint, and it is busy with the first of them.
  await until(
    'the 25 events dispatched',
    async () => {
      const [row] = await t.dataSource.query(
        "SELECT count(*)::int AS n FROM webhook_events WHERE org_id = $1 AND type = 'shortLink.created' AND dispatched_at IS NOT NULL",
        [t.org.id],
      );
      return row.n === 25;
    },
    30_000,
    25,
  );
  await until('the hanging endpoint to receive a delivery', async () => hanging.received > 0, 30_000, 25);

  const createdAt = Date.now();
  expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com/fast' } }, { key: other.rootKey }));
  const delivery = await until(
    'the other endpoint’s delivery row',
    async () => {
      const [row] = await t.dataSource.query('SELECT succeeded, status_code, created_at FROM webhook_deliveries WHERE webhook_id = $1', [
        fastHook,
      ]);
      return row;
    },
    30_000,
    25,
  );
  const delayMs = Date.now() - createdAt;
  console.log(`unaffected endpoint delivered ${delayMs} ms after its event, with 25 events queued for a hanging endpoint`);
  expect(delivery).toMatchObject({ succeeded: true, status_code: 204 });

  // No attempt on the hanging endpoint has finished yet (each waits up to 30 s): the delivery
  // above did not wait behind any of them.
  const [slow] = await t.dataSource.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1', [slowHook]);
  expect(slow.n).toBe(0);
  // And the hanging endpoint never had more than its share at once.
  expect(hanging.open).toBeLessThanOrEqual(2);
  expect(hanging.received).toBeLessThanOrEqual(2);
}, 90_000);
