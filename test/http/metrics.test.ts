import { CreateApiKeyDocument, ViewerKindDocument } from '../generated/graphql';
import { TestApp } from '../support/harness';
import { until } from '../support/until';

/**
 * `/metrics` is served on its own listener (METRICS_PORT; 0 here, a free port), never on the
 * public one, in Prometheus' text format. Counters are asserted exactly after real requests, and
 * every label value is from a bounded set: no operation name, key or id a client chose.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({ env: { METRICS_PORT: '0', INVALIDATION_HEARTBEAT_MS: '100', RATE_LIMITS_ENABLED: 'true' } });
});
afterAll(() => t.close());

async function scrape(): Promise<string> {
  const res = await fetch(t.app.metricsUrl!);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample, by its exact name and labels as Prometheus prints them; 0 when absent. */
const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};

const requestsOf = (text: string, operation: string, outcome: string) =>
  sample(text, `keygate_graphql_requests_total{operation="${operation}",outcome="${outcome}"}`);

it('listens on loopback, on a port of its own', () => {
  expect(t.app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
});

it('counts requests by operation and outcome, exactly, with the latency histogram', async () => {
  const statsOnly = (await t.createKey({ stats: ['read'] })).secret;
  for (let i = 0; i < 3; i++) expect((await t.gql(ViewerKindDocument, {})).status).toBe(200);
  expect((await t.gql(ViewerKindDocument, {}, { key: 'sk_live_nope' })).status).toBe(401);
  expect((await t.gql(ViewerKindDocument, {}, null)).status).toBe(401);
  const refused = await t.gql(CreateApiKeyDocument, { input: { name: 'nope', permissions: {} } }, { key: statsOnly });
  expect(refused.status).toBe(403);
  // A client's operation name is no label: this counts under its root field.
  expect((await t.gql('query Secret_Name_From_A_Client { viewer { kind } }', {})).status).toBe(200);
  expect((await t.gql('{ viewer { kind } apiKeys(first: 1) { totalCount } }', {})).status).toBe(200);
  expect((await t.gql('{ __typename }', {})).status).toBe(200);
  expect((await t.gql('{ viewer {', {})).status).toBe(400);

  const text = await scrape();
  const requests = (operation: string, outcome: string) => requestsOf(text, operation, outcome);
  expect(requests('viewer', 'ok')).toBe(4);
  expect(requests('none', 'unauthenticated_malformed')).toBe(1);
  // Without credentials the operation is resolved before the admission rule refuses it.
  expect(requests('viewer', 'unauthenticated_missing')).toBe(1);
  expect(requests('createApiKey', 'forbidden')).toBe(1);
  expect(requests('multiple', 'ok')).toBe(1);
  expect(requests('introspection', 'ok')).toBe(1);
  expect(requests('none', 'client_error')).toBe(1);
  const total = text.split('\n').filter((l) => l.startsWith('keygate_graphql_requests_total{'));
  expect(total.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)).toBe(10);

  expect(sample(text, 'keygate_graphql_request_duration_seconds_count{operation="viewer"}')).toBe(5);
  expect(sample(text, 'keygate_graphql_request_duration_seconds_bucket{le="+Inf",operation="viewer"}')).toBe(5);
  expect(sample(text, 'keygate_graphql_request_duration_seconds_count{operation="none"}')).toBe(2);

  // The root key, in 7 requests: one miss, then 6 hits; the stats-only key: one miss (refused after verifying).
  expect(sample(text, 'keygate_verification_cache_misses_total')).toBe(2);
  expect(sample(text, 'keygate_verification_cache_hits_total')).toBe(6);
  expect(sample(text, 'keygate_verification_cache_entries')).toBe(2);
  expect(sample(text, 'keygate_verification_cache_usable')).toBe(1);

  expect(text).not.toContain('Secret_Name_From_A_Client');
  expect(text).not.toContain(t.rootKey);
  expect(text).not.toContain(statsOnly);
  expect(text).not.toContain(t.org.id);
});

it('counts a 429 as rate_limited (refused before its operation is read)', async () => {
  const created = await t.gql(CreateApiKeyDocument, { input: { name: 'one a minute', permissions: {}, rateLimitPerMinute: 1 } });
  const { secret } = created.body.data!.createApiKey;
  const before = await scrape();
  expect((await t.gql(ViewerKindDocument, {}, { key: secret })).status).toBe(200);
  expect((await t.gql(ViewerKindDocument, {}, { key: secret })).status).toBe(429);
  const after = await scrape();
  expect(requestsOf(after, 'viewer', 'ok') - requestsOf(before, 'viewer', 'ok')).toBe(1);
  expect(requestsOf(before, 'none', 'rate_limited')).toBe(0);
  expect(requestsOf(after, 'none', 'rate_limited')).toBe(1);
});

it('reports the pool, the webhook queue and outbox, and default process metrics', async () => {
  const text = await scrape();
  expect(sample(text, 'keygate_db_pool_max')).toBe(5);
  const busy = sample(text, 'keygate_db_pool_connections{state="busy"}');
  const idle = sample(text, 'keygate_db_pool_connections{state="idle"}');
  expect(busy + idle).toBeGreaterThan(0);
  expect(busy + idle).toBeLessThanOrEqual(5);
  expect(sample(text, 'keygate_db_pool_connections{state="waiting"}')).toBe(0);
  // No delivery yet: every state is there, at zero.
  for (const state of ['queued', 'deferred', 'active'])
    expect(text).toContain(`keygate_webhook_queue_jobs{queue="webhook-delivery",state="${state}"} 0`);
  // Key events wait in the outbox: no dispatcher runs in this suite (jobs off).
  const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM webhook_events WHERE dispatched_at IS NULL');
  expect(n).toBeGreaterThan(0);
  expect(sample(text, 'keygate_webhook_outbox_events')).toBe(n);
  expect(text).toContain('keygate_webhook_deliveries_recent{outcome="succeeded"} 0');
  expect(text).toContain('keygate_webhook_deliveries_recent{outcome="failed"} 0');
  expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
  expect(text).toMatch(/^process_resident_memory_bytes \d/m);
});

it('times the invalidation channel: heartbeat NOTIFY to echo', async () => {
  const count = await until('an invalidation echo', async () => sample(await scrape(), 'keygate_invalidation_echo_seconds_count'));
  expect(count).toBeGreaterThan(0);
});

it('is not on the public port: /metrics there is a 404 that serves nothing of it', async () => {
  const res = await t.app.server.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(404);
  expect(res.body).not.toContain('keygate_');
});

it('its own listener answers nothing but /metrics', async () => {
  const other = await fetch(t.app.metricsUrl!.replace('/metrics', '/graphql'));
  expect(other.status).toBe(404);
  expect((await fetch(t.app.metricsUrl!, { method: 'POST' })).status).toBe(404);
});

it('reports the write-behind buffers: entries waiting in memory, failed flushes, drops', async () => {
  const { usage, clicks } = t.app.services;
  await Promise.all([usage.flush(), clicks.flush()]);
  const key = await t.createKey({ stats: ['read'] });
  const other = await t.createKey({ stats: ['read'] });
  for (let i = 0; i < 3; i++) usage.record(key.id);
  usage.record(other.id);
  let text = await scrape();
  // Key-days, not requests: two keys used today.
  expect(sample(text, 'keygate_write_behind_buffered_entries{buffer="usage"}')).toBe(2);
  expect(sample(text, 'keygate_write_behind_buffered_entries{buffer="clicks"}')).toBe(0);
  expect(sample(text, 'keygate_write_behind_flush_failures_total{buffer="usage"}')).toBe(0);
  // One flush fails (the database refused the statement): counted, and the entries wait.
  const write = jest.spyOn(usage as unknown as { write: () => Promise<void> }, 'write').mockRejectedValueOnce(new Error('refused'));
  await expect(usage.flush()).rejects.toThrow('refused');
  write.mockRestore();
  text = await scrape();
  expect(sample(text, 'keygate_write_behind_flush_failures_total{buffer="usage"}')).toBe(1);
  expect(sample(text, 'keygate_write_behind_buffered_entries{buffer="usage"}')).toBe(2);
  await usage.flush();
  text = await scrape();
  expect(sample(text, 'keygate_write_behind_buffered_entries{buffer="usage"}')).toBe(0);
  expect(sample(text, 'keygate_write_behind_flush_failures_total{buffer="usage"}')).toBe(1);
  expect(sample(text, 'keygate_write_behind_dropped_total{buffer="usage"}')).toBe(0);
});
