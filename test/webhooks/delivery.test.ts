import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  AuditLogDocument,
  CreateShortLinkIdDocument,
  CreateWebhookDocument,
  DeleteWebhookDocument,
  SetApiKeyStatusBareDocument,
  TestWebhookDocument,
  WebhookDeliveriesDocument,
  WebhooksDocument,
} from '../generated/graphql';
import { expectError, expectOk } from '../support/expect';
import { until } from '../support/until';
import { TestApp } from '../support/harness';

/** A receiver on loopback that verifies every delivery with the Standard Webhooks verifier. */
class Receiver {
  requests: { headers: http.IncomingHttpHeaders; body: string; verified: boolean }[] = [];
  respond: (n: number) => number = () => 200;
  secret = '';
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      let verified: boolean;
      try {
        new StandardWebhook(this.secret).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      this.requests.push({ headers: req.headers, body, verified });
      res.writeHead(this.respond(this.requests.length)).end('ok');
    });
  });
  url = '';
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }
  stop() {
    return new Promise((r) => this.server.close(r));
  }
}

const JOBS = { pollingIntervalSeconds: 0.5, dispatchIntervalMs: 100, expiryCheckIntervalMs: 3_600_000 };

describe('webhook deliveries', () => {
  let t: TestApp;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await TestApp.create({ jobs: JOBS, env: { WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms', WEBHOOK_MAX_CONSECUTIVE_FAILURES: '3' } });
    receiver = new Receiver();
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await t.close();
  });

  it('signs per Standard Webhooks, fails twice, retries with the same webhook-id and then succeeds', async () => {
    const created = expectOk(
      await t.gql(CreateWebhookDocument, { input: { url: receiver.url, events: ['apiKey.created'], description: 'ci' } }),
    );
    const { secret, webhook } = created.createWebhook;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    receiver.secret = secret;
    receiver.requests = [];
    receiver.respond = (n) => (n <= 2 ? 500 : 204);

    const key = await t.createKey({ stats: ['read'] }, { name: 'triggers the event' });
    await until('3 attempts', () => receiver.requests.length >= 3 && receiver.requests, 20_000, 100);

    expect(receiver.requests.map((r) => r.verified)).toEqual([true, true, true]);
    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const body = JSON.parse(receiver.requests[2].body);
    expect(body).toMatchObject({
      type: 'apiKey.created',
      organizationId: t.org.id,
      data: { action: 'API_KEY_CREATED', target: { type: 'API_KEY', id: key.id, name: 'triggers the event' } },
    });
    for (const r of receiver.requests) expect(r.body).not.toContain(key.secret);

    const log = await until(
      '3 recorded attempts',
      async () => {
        const d = expectOk(await t.gql(WebhookDeliveriesDocument, { webhookId: webhook.id, first: 20 }));
        // Wait on the page itself: totalCount is a second query and may see a later commit.
        return d.webhookDeliveries.nodes.length === 3 && d.webhookDeliveries.nodes;
      },
      20_000,
      100,
    );
    expect(log.map((n) => [n.attempt, n.succeeded, n.statusCode])).toEqual([
      [3, true, 204],
      [2, false, 500],
      [1, false, 500],
    ]);
    expect(log[1].nextRetryAt).not.toBeNull();
    expect(log[0].nextRetryAt).toBeNull();
    expect(log[2].error).toBe('HTTP 500');
    const hook = expectOk(await t.gql(WebhooksDocument)).webhooks.find((w) => w.id === webhook.id);
    expect(hook).toMatchObject({ enabled: true, consecutiveFailures: 0, lastDeliveryStatus: 204 });
    // The receiver never sees another delivery of the same event.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.requests).toHaveLength(3);
    await t.gql(DeleteWebhookDocument, { id: webhook.id });
  });

  it('testWebhook sends a ping now and returns the attempt', async () => {
    const { createWebhook } = expectOk(await t.gql(CreateWebhookDocument, { input: { url: receiver.url, events: ['shortLink.created'] } }));
    receiver.secret = createWebhook.secret;
    receiver.requests = [];
    receiver.respond = () => 200;
    const res = expectOk(await t.gql(TestWebhookDocument, { id: createWebhook.webhook.id }));
    expect(res.testWebhook).toEqual({ attempt: 1, succeeded: true, statusCode: 200, eventType: 'ping', error: null });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].verified).toBe(true);
    expect(JSON.parse(receiver.requests[0].body).type).toBe('ping');
    await t.gql(DeleteWebhookDocument, { id: createWebhook.webhook.id });
  });

  it('an endpoint that keeps failing is disabled after the configured run, with an audit event', async () => {
    const { createWebhook } = expectOk(await t.gql(CreateWebhookDocument, { input: { url: receiver.url, events: ['shortLink.created'] } }));
    receiver.secret = createWebhook.secret;
    receiver.requests = [];
    receiver.respond = () => 503;
    expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com/x' } }));
    const hook = await until(
      'disabled',
      async () => {
        const h = expectOk(await t.gql(WebhooksDocument)).webhooks.find((w) => w.id === createWebhook.webhook.id);
        return h && !h.enabled && h;
      },
      20_000,
      100,
    );
    expect(hook.consecutiveFailures).toBe(3);
    const audit = expectOk(await t.gql(AuditLogDocument, { filter: { action: 'WEBHOOK_DISABLED' } }));
    expect(
      audit.auditLog.nodes.map(({ actor, targetId, metadata }) => ({ actor: { kind: actor.kind, name: actor.name }, targetId, metadata })),
    ).toEqual([
      {
        actor: { kind: 'SYSTEM', name: 'keygate' },
        targetId: createWebhook.webhook.id,
        metadata: { consecutiveFailures: 3, lastError: 'HTTP 503', lastStatus: 503 },
      },
    ]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.requests).toHaveLength(3);
  });

  it('the outbox: a committed change always has its event, a refused one never does', async () => {
    const count = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM webhook_events'))[0].n as number;
    const before = await count();
    expectError(await t.gql(CreateShortLinkIdDocument, { input: { url: 'ftp://example.com' } }), 'BAD_USER_INPUT');
    expectError(await t.gql(SetApiKeyStatusBareDocument, { id: '00000000-0000-4000-8000-000000000000', status: 'INACTIVE' }), 'NOT_FOUND');
    expect(await count()).toBe(before);
    expectOk(await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com/ok' } }));
    expect(await count()).toBe(before + 1);
  });
});

describe('SSRF guard at creation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({
      env: { WEBHOOKS_ALLOW_PRIVATE: 'false' },
      overrides: {
        webhookLookup: async (host) =>
          host === 'rebind.example' ? [{ address: '10.0.0.7', family: 4 }] : [{ address: '93.184.216.34', family: 4 }],
      },
    });
  });
  afterAll(() => t.close());

  it.each([
    ['http://127.0.0.1:9/hook', 'loopback address (127.0.0.1)'],
    ['http://169.254.169.254/latest/meta-data', 'link-local address (169.254.169.254)'],
    ['http://[::1]/hook', 'loopback address (::1)'],
    ['https://rebind.example/hook', 'private address (10.0.0.7)'],
    ['ftp://example.com/hook', 'url must use https'],
    ['https://user:pass@example.com/hook', 'must not contain credentials'],
  ])('refuses %s', async (url, message) => {
    const res = await t.gql(CreateWebhookDocument, { input: { url, events: ['ping'] } });
    const ext = expectError(res, 'BAD_USER_INPUT', 400);
    expect(ext.fields['input.url'] ?? ext.fields.url).toContain(message);
  });

  it('accepts a public https endpoint and returns its secret once; unknown events are refused', async () => {
    const ok = expectOk(
      await t.gql(CreateWebhookDocument, { input: { url: 'https://hooks.example.com/x', events: ['apiKey.revoked', 'ping'] } }),
    );
    expect(ok.createWebhook.webhook).toMatchObject({
      url: 'https://hooks.example.com/x',
      events: ['apiKey.revoked', 'ping'],
      enabled: true,
    });
    const [row] = await t.dataSource.query('SELECT secret_sealed FROM webhooks WHERE id = $1', [ok.createWebhook.webhook.id]);
    expect(row.secret_sealed).not.toContain(ok.createWebhook.secret);
    expect(row.secret_sealed.startsWith('v1:')).toBe(true);
    const bad = await t.gql(CreateWebhookDocument, { input: { url: 'https://hooks.example.com/y', events: ['apiKey.exploded'] } });
    expect(expectError(bad, 'BAD_USER_INPUT', 400).fields['input.events']).toContain('Unknown event(s) apiKey.exploded');
  });

  it('a bad URL, events and description are named together, and nothing is created', async () => {
    const [{ n: before }] = await t.dataSource.query('SELECT count(*)::int AS n FROM webhooks');
    const res = await t.gql(CreateWebhookDocument, {
      input: { url: 'ftp://hooks.example.com/x', events: ['apiKey.exploded'], description: 'd'.repeat(501) },
    });
    const fields = expectError(res, 'BAD_USER_INPUT', 400).fields;
    expect(Object.keys(fields).sort()).toEqual(['input.description', 'input.events', 'input.url']);
    expect(fields['input.description']).toBe('description is at most 500 characters.');
    expect(fields['input.events']).toContain('Unknown event(s) apiKey.exploded');
    const [{ n: after }] = await t.dataSource.query('SELECT count(*)::int AS n FROM webhooks');
    expect(after).toBe(before);
  });

  it('link-local stays refused even with WEBHOOKS_ALLOW_PRIVATE=true', async () => {
    const lax = await TestApp.create({ env: { WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    try {
      const res = await lax.gql(CreateWebhookDocument, { input: { url: 'http://169.254.169.254/', events: ['ping'] } });
      expect(expectError(res, 'BAD_USER_INPUT', 400).fields['input.url']).toContain('link-local');
      expectOk(await lax.gql(CreateWebhookDocument, { input: { url: 'http://127.0.0.1:9/', events: ['ping'] } }));
    } finally {
      await lax.close();
    }
  });
});

describe('durability', () => {
  it('a queued retry survives a restart and is delivered by the next instance', async () => {
    const receiver = new Receiver();
    await receiver.start();
    receiver.respond = (n) => (n === 1 ? 500 : 200);
    const env = { WEBHOOK_RETRY_SCHEDULE: '3s' };
    const first = await TestApp.create({ jobs: JOBS, env });
    try {
      const { createWebhook } = expectOk(
        await first.gql(CreateWebhookDocument, { input: { url: receiver.url, events: ['apiKey.created'] } }),
      );
      receiver.secret = createWebhook.secret;
      await first.createKey({ stats: ['read'] });
      await until('first attempt', () => receiver.requests.length === 1, 20_000, 100);
      // Stop this instance before the retry is due; the retry job is in PostgreSQL.
      await first.app.close();
      expect(receiver.requests).toHaveLength(1);

      const second = await first.secondInstance({ WEBHOOKS_ALLOW_PRIVATE: 'true', ...env }, { jobs: JOBS });
      try {
        await until('the retry from the new instance', () => receiver.requests.length === 2, 30_000, 100);
        expect(receiver.requests[1].verified).toBe(true);
        expect(receiver.requests[1].headers['webhook-id']).toBe(receiver.requests[0].headers['webhook-id']);
      } finally {
        await second.close();
      }
    } finally {
      await receiver.stop();
      await first.close();
    }
  }, 60_000);
});
