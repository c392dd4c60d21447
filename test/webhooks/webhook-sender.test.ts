import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { ALLOW_PRIVATE_HINT, assertPublicDestination, type Lookup } from '../../src/modules/webhooks/ssrf-guard';
import { generateWebhookSecret, WebhookSender, type SendInput } from '../../src/modules/webhooks/webhook-sender';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: boolean;
  verifyError: string | null;
}

/** A real HTTP receiver on 127.0.0.1 that checks every request with the Standard Webhooks verifier. */
class Receiver {
  readonly requests: Seen[] = [];
  secret = '';
  /** How to answer; the default is 200 "ok". */
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.writeHead(200).end('ok');
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      let verifyError: string | null = null;
      try {
        new StandardWebhook(this.secret).verify(body, req.headers as Record<string, string>);
      } catch (error) {
        verifyError = (error as Error).message;
      }
      this.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        verified: verifyError === null,
        verifyError,
      });
      this.handler(req, res);
    });
  });
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  reset(secret: string): void {
    this.requests.length = 0;
    this.secret = secret;
    this.handler = (_req, res) => res.writeHead(200).end('ok');
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A lookup stub: every name resolves to `answer`; records the names asked for. */
function stubLookup(answer: { address: string; family: 4 | 6 }[]): Lookup & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string) => {
    calls.push(host);
    return answer;
  };
  return Object.assign(fn, { calls });
}

const LOOPBACK = [{ address: '127.0.0.1', family: 4 as const }];

describe('WebhookSender', () => {
  const receiver = new Receiver();
  let secret: string;
  /** Pending answers of receivers that never answer, finished in afterEach. */
  const hanging: http.ServerResponse[] = [];

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => {
    secret = generateWebhookSecret();
    receiver.reset(secret);
  });
  afterEach(() => {
    for (const res of hanging.splice(0)) res.destroy();
  });

  const input = (over: Partial<SendInput> = {}): SendInput => ({
    url: `http://hooks.test:${receiver.port}/in`,
    secret,
    messageId: `msg_${randomUUID()}`,
    timestamp: new Date(),
    payload: JSON.stringify({ type: 'apiKey.created', data: { id: randomUUID() } }),
    ...over,
  });

  it('signs per Standard Webhooks, POSTs the payload and reports a 2xx as ok', async () => {
    const lookup = stubLookup(LOOPBACK);
    const sender = new WebhookSender({ lookup, allowPrivate: true });
    const timestamp = new Date('2026-01-02T03:04:05.678Z');
    // Standard Webhooks receivers refuse timestamps more than 5 minutes away, so verify a
    // fixed-timestamp signature separately and the live one through the receiver.
    const fixed = new StandardWebhook(secret).sign('msg_fixed', timestamp, '{"a":1}');
    expect(fixed).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    const sent = input();
    receiver.handler = (_req, res) => res.writeHead(204).end();
    const result = await sender.send(sent);

    expect(result).toEqual({ ok: true, statusCode: 204, durationMs: expect.any(Number), error: null });
    expect(Number.isInteger(result.durationMs)).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.durationMs).toBeLessThan(5_000);
    expect(lookup.calls).toEqual(['hooks.test']);
    expect(receiver.requests).toHaveLength(1);
    const [seen] = receiver.requests;
    expect(seen.verifyError).toBeNull();
    expect(seen.verified).toBe(true);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/in');
    expect(seen.body).toBe(sent.payload);
    expect(seen.headers['webhook-id']).toBe(sent.messageId);
    expect(seen.headers['webhook-timestamp']).toBe(String(Math.floor(sent.timestamp.getTime() / 1000)));
    expect(seen.headers['webhook-signature']).toBe(new StandardWebhook(secret).sign(sent.messageId, sent.timestamp, sent.payload));
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['user-agent']).toBe('keygate-webhooks/1');
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(sent.payload)));
  });

  it('a receiver with another secret does not verify the signature', async () => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true });
    receiver.secret = generateWebhookSecret();
    expect((await sender.send(input())).ok).toBe(true);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].verified).toBe(false);
    expect(receiver.requests[0].verifyError).toBe('No matching signature found');
  });

  it('sends non-ASCII payloads byte for byte', async () => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true });
    const payload = JSON.stringify({ name: 'clé 🔑 ключ' });
    expect(await sender.send(input({ payload }))).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(receiver.requests[0].body).toBe(payload);
    expect(receiver.requests[0].verified).toBe(true);
  });

  it('an IP-literal URL needs no lookup', async () => {
    const lookup = stubLookup([]);
    const sender = new WebhookSender({ lookup, allowPrivate: true });
    expect(await sender.send(input({ url: `http://127.0.0.1:${receiver.port}/ip` }))).toMatchObject({
      ok: true,
      statusCode: 200,
      error: null,
    });
    expect(lookup.calls).toEqual([]);
    expect(receiver.requests.map((r) => [r.url, r.verified])).toEqual([['/ip', true]]);
  });

  it('a 500 is a failure with its status code', async () => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true });
    receiver.handler = (_req, res) => res.writeHead(500).end('boom');
    expect(await sender.send(input())).toEqual({ ok: false, statusCode: 500, durationMs: expect.any(Number), error: 'HTTP 500' });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].verified).toBe(true);
  });

  it.each([301, 302, 307, 308])('a %i redirect is not followed and is a failure', async (status) => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true });
    receiver.handler = (req, res) => {
      if (req.url === '/in') res.writeHead(status, { location: `http://127.0.0.1:${receiver.port}/elsewhere` }).end();
      else res.writeHead(200).end('followed');
    };
    expect(await sender.send(input())).toEqual({
      ok: false,
      statusCode: status,
      durationMs: expect.any(Number),
      error: 'redirect not followed',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.requests.map((r) => r.url)).toEqual(['/in']);
  });

  it('a receiver that never answers times out', async () => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true, timeoutMs: 300 });
    receiver.handler = (_req, res) => void hanging.push(res);
    const result = await sender.send(input());
    expect(result).toEqual({ ok: false, statusCode: null, durationMs: expect.any(Number), error: 'timeout after 300 ms' });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    expect(result.durationMs).toBeLessThan(2_000);
    expect(receiver.requests).toHaveLength(1);
  });

  it('a body that trickles in forever is cut off by the overall timeout, not only the idle one', async () => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true, timeoutMs: 400 });
    const timers: NodeJS.Timeout[] = [];
    receiver.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      hanging.push(res);
      // A byte every 50 ms: the socket is never idle for 400 ms.
      timers.push(setInterval(() => res.write('.'), 50));
    };
    try {
      const result = await sender.send(input());
      expect(result).toEqual({ ok: false, statusCode: 200, durationMs: expect.any(Number), error: 'timeout after 400 ms' });
      expect(result.durationMs).toBeGreaterThanOrEqual(390);
      expect(result.durationMs).toBeLessThan(2_000);
    } finally {
      for (const t of timers) clearInterval(t);
    }
  });

  it('reads at most 64 KB of a huge response body and does not wait for the rest', async () => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true, timeoutMs: 2_000 });
    receiver.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      hanging.push(res);
      // 1 MB now, and never an end: only reading a bounded prefix lets the send finish.
      res.write(Buffer.alloc(1024 * 1024, 0x61));
    };
    const result = await sender.send(input());
    expect(result).toEqual({ ok: true, statusCode: 200, durationMs: expect.any(Number), error: null });
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('a refused connection is a result, not an exception', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true });
    expect(await sender.send(input({ url: `http://hooks.test:${port}/in` }))).toEqual({
      ok: false,
      statusCode: null,
      durationMs: expect.any(Number),
      error: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it('a name that does not resolve is a result, not an exception', async () => {
    const failing: Lookup = async (host) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    const sender = new WebhookSender({ lookup: failing, allowPrivate: true });
    expect(await sender.send(input())).toEqual({
      ok: false,
      statusCode: null,
      durationMs: expect.any(Number),
      error: 'lookup of hooks.test failed: ENOTFOUND',
    });
    const empty = new WebhookSender({ lookup: stubLookup([]), allowPrivate: true });
    expect(await empty.send(input())).toEqual({
      ok: false,
      statusCode: null,
      durationMs: expect.any(Number),
      error: 'getaddrinfo ENOTFOUND hooks.test',
    });
    expect(receiver.requests).toHaveLength(0);
  });

  it('a malformed URL or signing secret is a result, and nothing is sent', async () => {
    const sender = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true });
    expect(await sender.send(input({ url: 'not a url' }))).toMatchObject({ ok: false, statusCode: null, error: 'invalid url' });
    expect(await sender.send(input({ url: `ftp://hooks.test:${receiver.port}/` }))).toMatchObject({
      ok: false,
      statusCode: null,
      error: 'unsupported protocol ftp:',
    });
    expect(await sender.send(input({ secret: 'whsec_!!!not base64!!!' }))).toMatchObject({
      ok: false,
      statusCode: null,
      error: 'invalid signing secret',
    });
    expect(await sender.send(input({ messageId: 'msg_1\r\nx-injected: 1' }))).toMatchObject({
      ok: false,
      statusCode: null,
      error: 'ERR_INVALID_CHAR: request not sent',
    });
    expect(receiver.requests).toHaveLength(0);
  });

  describe('the SSRF guard at connect time', () => {
    const refused = (address: string, reason: string) => ({
      ok: false,
      statusCode: null,
      durationMs: expect.any(Number),
      error:
        reason === 'loopback'
          ? `destination refused: ${reason} address (${address}). ${ALLOW_PRIVATE_HINT}`
          : `destination refused: ${reason} address (${address})`,
    });

    it('with allowPrivate false the loopback receiver is refused and sees no request', async () => {
      const lookup = stubLookup(LOOPBACK);
      const sender = new WebhookSender({ lookup, allowPrivate: false });
      expect(await sender.send(input())).toEqual(refused('127.0.0.1', 'loopback'));
      expect(lookup.calls).toEqual(['hooks.test']);
      // An IP literal is judged before any connection too: Node never calls lookup for one.
      expect(await sender.send(input({ url: `http://127.0.0.1:${receiver.port}/in` }))).toEqual(refused('127.0.0.1', 'loopback'));
      expect(await sender.send(input({ url: `http://[::1]:${receiver.port}/in` }))).toEqual(refused('::1', 'loopback'));
      expect(lookup.calls).toEqual(['hooks.test']);
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.requests).toHaveLength(0);
    });

    it('a lookup answering 169.254.169.254 is refused even with allowPrivate true', async () => {
      const lookup = stubLookup([{ address: '169.254.169.254', family: 4 }]);
      const sender = new WebhookSender({ lookup, allowPrivate: true });
      expect(await sender.send(input({ url: 'http://metadata.test/latest/meta-data' }))).toEqual(refused('169.254.169.254', 'link-local'));
      expect(await sender.send(input({ url: 'http://169.254.169.254/latest/meta-data' }))).toEqual(
        refused('169.254.169.254', 'link-local'),
      );
      expect(lookup.calls).toEqual(['metadata.test']);
    });

    it('a lookup answering ::ffff:127.0.0.1 is refused when allowPrivate is false', async () => {
      const sender = new WebhookSender({ lookup: stubLookup([{ address: '::ffff:127.0.0.1', family: 6 }]), allowPrivate: false });
      expect(await sender.send(input())).toEqual(refused('::ffff:127.0.0.1', 'loopback'));
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.requests).toHaveLength(0);
    });

    it('refuses when any address of the answer is forbidden, not only the first', async () => {
      const sender = new WebhookSender({
        lookup: stubLookup([
          { address: '93.184.216.34', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ]),
        allowPrivate: false,
      });
      expect(await sender.send(input())).toEqual(refused('127.0.0.1', 'loopback'));
      expect(receiver.requests).toHaveLength(0);
    });

    it('DNS rebinding: a name that was public when saved and is loopback at delivery is refused', async () => {
      let answers = 0;
      const rebinding: Lookup = async () => (answers++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : LOOPBACK);
      const url = `http://rebind.test:${receiver.port}/in`;
      await expect(assertPublicDestination(new URL(url), { allowPrivate: false, lookup: rebinding })).resolves.toBeUndefined();
      const sender = new WebhookSender({ lookup: rebinding, allowPrivate: false });
      expect(await sender.send(input({ url }))).toEqual(refused('127.0.0.1', 'loopback'));
      expect(answers).toBe(2);
      expect(receiver.requests).toHaveLength(0);
    });

    it('holds with and without Happy Eyeballs (lookup asked for all addresses or for one)', async () => {
      const before = net.getDefaultAutoSelectFamily();
      try {
        for (const autoSelect of [true, false]) {
          net.setDefaultAutoSelectFamily(autoSelect);
          const guarded = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: false });
          expect(await guarded.send(input())).toEqual(refused('127.0.0.1', 'loopback'));
          const lax = new WebhookSender({ lookup: stubLookup(LOOPBACK), allowPrivate: true });
          expect(await lax.send(input())).toMatchObject({ ok: true, statusCode: 200, error: null });
        }
      } finally {
        net.setDefaultAutoSelectFamily(before);
      }
      expect(receiver.requests).toHaveLength(2);
      expect(receiver.requests.every((r) => r.verified)).toBe(true);
    });
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ + base64 of 24 random bytes, and standardwebhooks accepts it', () => {
    const secrets = Array.from({ length: 100 }, generateWebhookSecret);
    expect(new Set(secrets).size).toBe(100);
    for (const s of secrets) {
      expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(24);
    }
    const hook = new StandardWebhook(secrets[0]);
    const now = new Date();
    const signature = hook.sign('msg_1', now, '{}');
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(hook.verify('{}', headers)).toEqual({});
    expect(() => new StandardWebhook(secrets[1]).verify('{}', headers)).toThrow('No matching signature found');
  });
});
