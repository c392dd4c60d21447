import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';

/**
 * The webhook endpoint of the scenario: HTTPS (production accepts no other scheme) with a
 * certificate made here for 127.0.0.1, which the nodes trust through NODE_EXTRA_CA_CERTS. It
 * answers 204 at once and counts each `webhook-id` it receives, checking every signature.
 */
export class HttpsReceiver {
  /** webhook-id → how many times it arrived. */
  readonly received = new Map<string, number>();
  badSignatures = 0;
  private verifier: StandardWebhook | null = null;
  private server!: https.Server;

  constructor(readonly certFile: string) {}

  static async start(dir: string): Promise<HttpsReceiver> {
    const keyFile = path.join(dir, 'receiver.key');
    const certFile = path.join(dir, 'receiver.crt');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' }); // prettier-ignore
    const receiver = new HttpsReceiver(certFile);
    receiver.server = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        receiver.received.set(id, (receiver.received.get(id) ?? 0) + 1);
        try {
          receiver.verifier?.verify(body, req.headers as Record<string, string>);
        } catch {
          receiver.badSignatures++;
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** Verifies deliveries with the webhook's signing secret from now on. */
  verifyWith(secret: string): void {
    this.verifier = new StandardWebhook(secret);
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  get deliveries(): number {
    let n = 0;
    for (const count of this.received.values()) n += count;
    return n;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
