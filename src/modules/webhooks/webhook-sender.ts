import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { deliveryRefusal, findForbidden, hostOf, type Lookup } from './ssrf-guard';

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
  /** Short and stack-free, e.g. `HTTP 500`, `timeout after 10000 ms`, `redirect not followed`. */
  error: string | null;
}

export const MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_ERROR_LENGTH = 300;

/** `whsec_` + base64 of 24 random bytes: the secret format Standard Webhooks libraries accept. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

class ForbiddenDestinationError extends Error {
  readonly code = 'EFORBIDDEN';
}

/**
 * Signs and POSTs one delivery (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). The socket connects through a lookup that refuses forbidden addresses,
 * so the SSRF guard holds at connect time, not only when the URL was saved (DNS rebinding); an
 * IP-literal URL, which Node connects to without any lookup, is judged before the request.
 * Never follows redirects and never throws for network failures: a failed delivery is a
 * result, not an exception.
 */
export class WebhookSender {
  private readonly timeoutMs: number;

  constructor(private readonly opts: { lookup: Lookup; allowPrivate: boolean; timeoutMs?: number }) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  }

  async send(input: SendInput): Promise<SendResult> {
    const started = process.hrtime.bigint();
    const elapsed = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const fail = (error: string): SendResult => ({ ok: false, statusCode: null, durationMs: elapsed(), error });

    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      return fail('invalid url');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(`unsupported protocol ${url.protocol}`);
    const host = hostOf(url);
    if (net.isIP(host)) {
      const forbidden = findForbidden([host], this.opts.allowPrivate);
      if (forbidden) return fail(`destination refused: ${deliveryRefusal(forbidden)}`);
    }

    let signature: string;
    try {
      signature = new StandardWebhook(input.secret).sign(input.messageId, input.timestamp, input.payload);
    } catch {
      // Never the secret itself in an error.
      return fail('invalid signing secret');
    }

    const client = url.protocol === 'https:' ? https : http;
    const lookup = this.guardedLookup();

    return new Promise<SendResult>((resolve) => {
      let settled = false;
      let statusCode: number | null = null;
      let request: http.ClientRequest | undefined;
      let overall: NodeJS.Timeout | undefined;
      const finish = (r: Omit<SendResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        resolve({ ...r, error: r.error === null ? null : r.error.slice(0, MAX_ERROR_LENGTH), durationMs: elapsed() });
        // Whatever is still open (a slow body, an idle socket) is of no further interest.
        request?.destroy();
      };
      const timedOut = () => finish({ ok: false, statusCode, error: `timeout after ${this.timeoutMs} ms` });

      try {
        request = client.request(
          url,
          {
            method: 'POST',
            lookup,
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
            // Socket inactivity; `overall` below bounds the whole exchange.
            timeout: this.timeoutMs,
          },
          (response) => {
            statusCode = response.statusCode ?? null;
            let received = 0;
            const done = () => {
              const status = statusCode;
              const ok = status !== null && status >= 200 && status < 300;
              const error = ok ? null : status !== null && status >= 300 && status < 400 ? 'redirect not followed' : `HTTP ${status}`;
              finish({ ok, statusCode: status, error });
            };
            // The body is read (up to 64 KB) and discarded: only the status matters.
            response.on('data', (chunk: Buffer) => {
              received += chunk.length;
              if (received >= MAX_RESPONSE_BYTES) done();
            });
            response.on('end', done);
            response.on('aborted', done);
            response.on('error', done);
            response.on('close', done);
          },
        );
      } catch (error) {
        // Thrown synchronously, e.g. a header value with a control character in it.
        const e = error as NodeJS.ErrnoException;
        return finish({ ok: false, statusCode: null, error: e.code ? `${e.code}: request not sent` : 'request not sent' });
      }
      overall = setTimeout(timedOut, this.timeoutMs);
      request.on('timeout', timedOut);
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof ForbiddenDestinationError || error.code === 'EFORBIDDEN') {
          finish({ ok: false, statusCode: null, error: `destination refused: ${error.message}` });
        } else {
          const message = error.message || 'request failed';
          finish({ ok: false, statusCode, error: error.code && !message.includes(error.code) ? `${error.code}: ${message}` : message });
        }
      });
      request.end(input.payload);
    });
  }

  /**
   * The connect-time guard: resolves through opts.lookup and refuses the connection when any
   * address is forbidden (the same rule as when the URL was saved), so a DNS answer that changed
   * since then cannot reach the server's own network.
   */
  private guardedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.opts.lookup(hostname).then(
        (resolved) => {
          const wanted = options.family === 4 || options.family === 6 ? resolved.filter((a) => a.family === options.family) : resolved;
          if (wanted.length === 0) {
            const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
            error.code = 'ENOTFOUND';
            return callback(error, '', 4);
          }
          const forbidden = findForbidden(
            wanted.map((a) => a.address),
            this.opts.allowPrivate,
          );
          if (forbidden) return callback(new ForbiddenDestinationError(deliveryRefusal(forbidden)), '', 4);
          if (options.all)
            return callback(
              null,
              wanted.map((a) => ({ address: a.address, family: a.family })),
            );
          callback(null, wanted[0].address, wanted[0].family);
        },
        (error: NodeJS.ErrnoException) => {
          const wrapped: NodeJS.ErrnoException = new Error(
            `lookup of ${hostname} failed: ${error?.code ?? error?.message ?? 'unknown error'}`,
          );
          wrapped.code = error?.code ?? 'ENOTFOUND';
          callback(wrapped, '', 4);
        },
      );
    };
  }
}
