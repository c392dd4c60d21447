import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { isForbiddenAddress, type Lookup } from './ssrf-guard';

export interface SendInput {
  url: string;
  /** `whsec_…` */
  secret: string;
  /** The event id: receivers deduplicate on `webhook-id`. */
  messageId: string;
  timestamp: Date;
  payload: string;
}

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Signs and POSTs one delivery (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). The socket connects through a lookup that refuses forbidden addresses,
 * so the SSRF guard holds at connect time, not only when the URL was saved. Never follows
 * redirects, never throws for network failures: a failed delivery is a result, not an exception.
 */
export class WebhookSender {
  private readonly timeoutMs: number;

  constructor(private readonly opts: { lookup: Lookup; allowPrivate: boolean; timeoutMs?: number }) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(input: SendInput): Promise<SendResult> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const signature = new StandardWebhook(input.secret).sign(input.messageId, input.timestamp, input.payload);
    const url = new URL(input.url);
    const client = url.protocol === 'https:' ? https : http;

    const guardedLookup: LookupFunction = (hostname, options, callback) => {
      this.opts
        .lookup(hostname)
        .then((addresses) => {
          const allowed = addresses.filter((a) => isForbiddenAddress(a.address, this.opts.allowPrivate) === null);
          if (allowed.length === 0) {
            const first = addresses[0];
            const reason = first ? `${isForbiddenAddress(first.address, this.opts.allowPrivate)} address ${first.address} refused` : 'does not resolve';
            return callback(Object.assign(new Error(reason), { code: 'EFORBIDDEN' }), '', 4);
          }
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof allowed) => void)(null, allowed);
          callback(null, allowed[0].address, allowed[0].family);
        })
        .catch((error: Error) => callback(error as NodeJS.ErrnoException, '', 4));
    };

    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (r: Omit<SendResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        resolve({ ...r, durationMs: elapsed() });
      };
      const request = client.request(
        url,
        {
          method: 'POST',
          lookup: guardedLookup,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'keygate-webhooks/1',
            'webhook-id': input.messageId,
            'webhook-timestamp': String(Math.floor(input.timestamp.getTime() / 1000)),
            'webhook-signature': signature,
            'content-length': Buffer.byteLength(input.payload),
          },
          // No keep-alive: each delivery resolves and checks its destination afresh.
          agent: false,
        },
        (response) => {
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > MAX_RESPONSE_BYTES) response.destroy();
          });
          const status = response.statusCode ?? null;
          const done = () => {
            const ok = status !== null && status >= 200 && status < 300;
            const error = ok ? null : status !== null && status >= 300 && status < 400 ? 'redirect not followed' : `HTTP ${status}`;
            finish({ ok, statusCode: status, error });
          };
          response.on('end', done);
          response.on('close', done);
          response.on('error', done);
        },
      );
      const overall = setTimeout(() => {
        finish({ ok: false, statusCode: null, error: `timeout after ${this.timeoutMs} ms` });
        request.destroy();
      }, this.timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        const message = error.code === 'EFORBIDDEN' ? `destination refused: ${error.message}` : `${error.code ?? 'error'}: ${error.message}`;
        finish({ ok: false, statusCode: null, error: message.slice(0, 300) });
      });
      request.end(input.payload);
    });
  }
}
