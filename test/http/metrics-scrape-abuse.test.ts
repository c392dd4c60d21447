import { TestApp } from '../support/harness';

/**
 * Attacker's pass on the metrics listener. It asks for no credentials, and a scrape runs SQL on
 * the request pool (the webhook gauges): whoever reaches it — anyone on the network it is bound
 * to — must not be able to turn scrapes into pool pressure. Concurrent scrapes share one
 * collection, so they cost the database what one scrape costs.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({ env: { METRICS_PORT: '0' } });
});
afterAll(() => t.close());

/** The most SQL statements the app's DataSource had running at once while `fn` ran (the scrape queries go through it). */
async function mostAtOnceDuring(fn: () => Promise<unknown>): Promise<number> {
  const query = t.dataSource.query.bind(t.dataSource);
  let running = 0;
  let most = 0;
  const spy = jest.spyOn(t.dataSource, 'query').mockImplementation(async (...args: Parameters<typeof query>) => {
    most = Math.max(most, ++running);
    try {
      return await query(...args);
    } finally {
      running--;
    }
  });
  try {
    await fn();
    return most;
  } finally {
    spy.mockRestore();
  }
}

it('40 concurrent scrapes hold the request pool no more than one scrape does', async () => {
  const scrape = async () => {
    const res = await fetch(t.app.metricsUrl!);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('keygate_webhook_outbox_events ');
  };
  const one = await mostAtOnceDuring(scrape);
  expect(one).toBeGreaterThan(0);
  const concurrent = await mostAtOnceDuring(() => Promise.all(Array.from({ length: 40 }, scrape)));
  expect(concurrent).toBe(one);
});
