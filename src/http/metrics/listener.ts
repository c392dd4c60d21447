import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeygateMetrics } from './metrics';

export interface MetricsListener {
  /** `http://host:port/metrics`, with the port actually bound (METRICS_PORT=0 picks one). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` on a listener of its own (METRICS_HOST:METRICS_PORT), never on the public port: a
 * plain Node server that answers GET /metrics and 404 for anything else. Nothing on it reads
 * credentials, and nothing it serves names a key, a person or an organization.
 */
export async function listenMetrics(metrics: KeygateMetrics, at: { host: string; port: number }): Promise<MetricsListener> {
  // The listener asks for no credentials and a collection runs SQL on the request pool (the
  // webhook gauges): scrapes that arrive while one is being collected share its text, so any
  // number of concurrent scrapes costs the database what one costs.
  let collecting: Promise<string> | null = null;
  const collect = () =>
    (collecting ??= metrics.registry.metrics().finally(() => {
      collecting = null;
    }));
  const server: Server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    collect().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics unavailable\n'),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
