import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP/HTTP's JSON encoding carries it (ids in hex). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/**
 * A local OTLP/HTTP trace receiver: accepts `POST /v1/traces` (JSON), keeps every body as sent,
 * and answers 200, as a collector does.
 */
export class OtlpReceiver {
  readonly bodies: string[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const accepted = req.method === 'POST' && req.url === '/v1/traces';
      if (accepted) this.bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(accepted ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    });
  });

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    return receiver;
  }

  /** What OTEL_EXPORTER_OTLP_ENDPOINT should be to reach this receiver. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  spans(): OtlpSpan[] {
    type Body = { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
    return this.bodies.flatMap((b) => (JSON.parse(b) as Body).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  }

  async close(): Promise<void> {
    this.server.close();
    await once(this.server, 'close');
  }
}

/** A span attribute's value: a string, a number, or a list of strings; undefined when absent. */
export function attribute(span: OtlpSpan, key: string): string | number | string[] | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  if (!value) return undefined;
  if ('arrayValue' in value) return (value.arrayValue as { values?: { stringValue: string }[] }).values?.map((v) => v.stringValue) ?? [];
  if ('intValue' in value) return Number(value.intValue);
  return value.stringValue as string | undefined;
}
