import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { fetchRunnable } from '../../src/modules/webhooks/webhook-job-fetch';
import { DELIVERY_QUEUE } from '../../src/modules/webhooks/webhook-jobs';
import { TestApp } from '../support/harness';

/**
 * Attacker's pass (issue 20): the delivery fetch looks at the 200 oldest queued jobs not of an
 * endpoint or organization at its cap. When one endpoint's backlog fills that window, a fetch
 * took its cap's worth and nothing else, though slots were free and other organizations' jobs
 * were due right behind: they waited for the next poll (2 s), and on instances that only poll
 * (jobs dispatched by another instance, retries coming due) every poll went the same way. A
 * fetch now looks past an endpoint it has just filled, in the same call.
 */
let t: TestApp;
let boss: PgBoss;
beforeAll(async () => {
  t = await TestApp.create();
  boss = new PgBoss({ connectionString: t.databaseUrl, schema: 'pgboss', max: 2, supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue(DELIVERY_QUEUE, { name: DELIVERY_QUEUE, retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 60 });
});
afterAll(async () => {
  await boss.stop({ graceful: false, wait: true });
  await t.close();
});

it("an endpoint's backlog of 250 does not hide another organization's due job from a fetch with free slots", async () => {
  const busy = { webhookId: randomUUID(), orgId: randomUUID() };
  const other = { webhookId: randomUUID(), orgId: randomUUID() };
  await boss.insert(Array.from({ length: 250 }, () => ({ name: DELIVERY_QUEUE, data: { ...busy, eventId: randomUUID(), attempt: 1 } })));
  // Created after every job above (a later statement's now()), so behind them in the queue's order.
  await boss.send(DELIVERY_QUEUE, { ...other, eventId: randomUUID(), attempt: 1 });

  const jobs = await fetchRunnable(boss, 'pgboss', DELIVERY_QUEUE, 10, {
    perEndpoint: new Map(),
    perOrganization: new Map(),
    limits: { perEndpoint: 2, perOrganization: 5 },
  });
  const taken = jobs.map((j) => (j.data.webhookId === busy.webhookId ? 'busy' : 'other')).sort();
  expect(taken).toEqual(['busy', 'busy', 'other']);
});
