import { CreateWebhookDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';
import { until } from '../support/until';
import { WebhookReceiver } from '../support/webhook-receiver';
import { WEBHOOK_AUDIT } from '../../src/modules/webhooks/webhook.audit';
import { DELIVERY_QUEUE } from '../../src/modules/webhooks/webhook-jobs';

/**
 * Deliveries at the speed of the endpoint: a burst of events to an endpoint that answers at once
 * is delivered as fast as the per-endpoint cap allows, one queue job per attempt. (Before, every
 * job fetched while its endpoint was busy was re-queued with a doubling delay: 40 events took
 * 80 s and 8.5 jobs each.) Performance is asserted by counts; the drain time is printed.
 */
const BURST = 1_000;

let t: TestApp;
beforeAll(async () => {
  // The production polling (2 s) and dispatch (1 s) intervals: the burst must not wait on them.
  t = await TestApp.create({ jobs: { expiryCheckIntervalMs: 3_600_000 } });
});
afterAll(() => t.close());

/** Jobs ever created on the delivery queue: those still in the job table and those archived. */
async function jobsCreated(): Promise<number> {
  const [row] = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM (SELECT id FROM pgboss.job WHERE name = $1 UNION SELECT id FROM pgboss.archive WHERE name = $1) j`,
    [DELIVERY_QUEUE],
  );
  return row.n;
}

async function webhookFor(receiver: WebhookReceiver, key?: string): Promise<string> {
  const created = await t.gql(
    CreateWebhookDocument,
    { input: { url: receiver.url, events: ['webhook.updated'] } },
    key ? { key } : undefined,
  );
  return expectOk(created).createWebhook.webhook.id;
}

/** `n` events in one transaction, through the event log (audit row and outbox row each). */
async function emit(orgId: string, n: number, label: string): Promise<void> {
  await t.dataSource.transaction(async (m) => {
    for (let i = 0; i < n; i++) {
      await t.app.services.eventLog.recordSystem(m, orgId, WEBHOOK_AUDIT, 'WEBHOOK_UPDATED', {
        targetId: null,
        targetName: `${label} ${i}`,
      });
    }
  });
}

it(`a burst of ${BURST} events drains at the endpoint's speed, each delivered once, about one job each`, async () => {
  const receiver = await WebhookReceiver.start();
  try {
    const hook = await webhookFor(receiver);
    const jobsBefore = await jobsCreated();

    await emit(t.org.id, BURST, 'burst');
    const started = Date.now();
    await receiver.count(BURST);
    const drainMs = Date.now() - started;

    // Every attempt recorded, and nothing left queued that could deliver again.
    await until(
      'the deliveries recorded',
      async () =>
        (await t.dataSource.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1', [hook]))[0].n === BURST,
      30_000,
      50,
    );
    await until(
      'the queue drained',
      async () =>
        (await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state < 'completed'`, [DELIVERY_QUEUE]))[0]
          .n === 0,
      30_000,
      50,
    );
    const jobs = (await jobsCreated()) - jobsBefore;
    console.log(
      `burst: ${BURST} events delivered in ${drainMs} ms (${Math.round(BURST / (drainMs / 1000))}/s), ` +
        `${jobs} queue jobs (${(jobs / BURST).toFixed(2)} per event), at most ${receiver.maxOpen} requests open at once`,
    );

    expect(receiver.received).toHaveLength(BURST);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    const events: { id: string }[] = await t.dataSource.query(
      `SELECT id FROM webhook_events WHERE org_id = $1 AND type = 'webhook.updated' AND payload->'data'->'target'->>'name' LIKE 'burst %'`,
      [t.org.id],
    );
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
    const [recorded] = await t.dataSource.query(
      `SELECT count(DISTINCT event_id)::int AS events, count(*) FILTER (WHERE succeeded AND attempt = 1)::int AS ok
         FROM webhook_deliveries WHERE webhook_id = $1`,
      [hook],
    );
    expect(recorded).toEqual({ events: BURST, ok: BURST });
    expect(jobs).toBeLessThanOrEqual(BURST * 1.1);
    // The per-endpoint cap (WEBHOOK_CONCURRENCY_PER_ENDPOINT, 2) held throughout.
    expect(receiver.maxOpen).toBeLessThanOrEqual(2);
  } finally {
    await receiver.close();
  }
}, 180_000);

it('the caps hold while endpoints are busy, and a busy organization’s backlog does not hold up another organization', async () => {
  const busy = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start(), WebhookReceiver.start()]);
  const other = await WebhookReceiver.start();
  try {
    for (const r of busy) r.hold();
    const org = await t.createOtherOrganization('Busy');
    for (const r of busy) await webhookFor(r, org.rootKey);
    // 3 endpoints × 10 events: 30 jobs for one organization, each endpoint holding what it gets.
    await emit(org.org.id, 10, 'held');
    const open = () => busy.reduce((n, r) => n + r.open, 0);
    await until('the organization at its cap', () => open() === 5, 30_000, 25);

    // Another organization's event is fetched past the 25 queued jobs of the busy one.
    const outsider = await t.createOtherOrganization('Outsider');
    await webhookFor(other, outsider.rootKey);
    await emit(outsider.org.id, 1, 'outsider');
    await other.count(1);
    // Only now, after fetches that saw the busy organization's backlog: still 5 at once, ≤ 2 per endpoint.
    expect(open()).toBe(5);
    for (const r of busy) expect(r.maxOpen).toBeLessThanOrEqual(2);

    for (const r of busy) r.release();
    await Promise.all(busy.map((r) => r.count(10)));
    for (const r of busy) {
      expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(10);
      expect(r.maxOpen).toBeLessThanOrEqual(2);
    }
  } finally {
    for (const r of [...busy, other]) await r.close();
  }
}, 120_000);

it('two instances working the same queue deliver each event once, one job each', async () => {
  const receiver = await WebhookReceiver.start();
  const second = await t.secondInstance({ WEBHOOKS_ALLOW_PRIVATE: 'true' }, { jobs: { expiryCheckIntervalMs: 3_600_000 } });
  try {
    const org = await t.createOtherOrganization('Two workers');
    const hook = await webhookFor(receiver, org.rootKey);
    const jobsBefore = await jobsCreated();
    await emit(org.org.id, 200, 'shared');
    await receiver.count(200);
    await until(
      'the deliveries recorded',
      async () =>
        (await t.dataSource.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1', [hook]))[0].n === 200,
      30_000,
      50,
    );
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(200);
    expect(receiver.received).toHaveLength(200);
    expect((await jobsCreated()) - jobsBefore).toBe(200);
    // Each instance applies the per-endpoint cap to its own deliveries.
    expect(receiver.maxOpen).toBeLessThanOrEqual(4);
  } finally {
    await second.close();
    await receiver.close();
  }
}, 120_000);
