import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook endpoint on loopback. `hold()` makes it keep every request open until `release()`,
 * so a test can act while a delivery is in flight; `next()` resolves when a request arrives,
 * `count(n)` when n have; `maxOpen` is the most requests it ever had open at once.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  open = 0;
  maxOpen = 0;
  private counters: { n: number; resolve: () => void }[] = [];
  private server!: http.Server;
  private holding = false;
  private held: http.ServerResponse[] = [];
  private waiters: ((r: Received) => void)[] = [];

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = http.createServer((req, res) => {
      receiver.open++;
      receiver.maxOpen = Math.max(receiver.maxOpen, receiver.open);
      res.on('close', () => receiver.open--);
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const r = { headers: req.headers, body };
        receiver.received.push(r);
        receiver.waiters.splice(0).forEach((w) => w(r));
        receiver.counters = receiver.counters.filter((c) => c.n > receiver.received.length || void c.resolve());
        if (receiver.holding) receiver.held.push(res);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) res.writeHead(200).end('ok');
  }

  /** The next request to arrive. */
  next(): Promise<Received> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once `n` requests have arrived in all. */
  count(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.counters.push({ n, resolve }));
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
