import http from 'node:http';

/** One answer as the client saw it: a status and a parsed body, or the network error instead. */
export interface Answer {
  status: number;
  /** The JSON body, when there was one. */
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null;
  /** Which keygate node answered (HAProxy's `x-keygate-node`), when through the balancer. */
  node: string | undefined;
  /** A network failure (ECONNRESET, ECONNREFUSED, socket hang up): no response at all. */
  error?: string;
  /** When the answer arrived, ms on the scenario's clock (performance.now()). */
  at: number;
  /** The request's `x-request-id`, which HAProxy's log line for it carries too. */
  id: string;
}

let sent = 0;

/**
 * A GraphQL client on `node:http` with keep-alive, so every reset or refused connection is
 * visible (fetch would hide some behind its own retries). One agent per target.
 */
export class GqlClient {
  private readonly agent: http.Agent;

  constructor(
    readonly port: number,
    maxSockets = 16,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  post(query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<Answer> {
    const payload = JSON.stringify({ query, variables });
    const id = `cluster-${(sent++).toString(36)}`;
    return new Promise((resolve) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: '/graphql',
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-request-id': id, ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('error', (error) => resolve(failed(id, error)));
          res.on('end', () => {
            let body: Answer['body'];
            try {
              body = JSON.parse(text) as Answer['body'];
            } catch {
              body = null; // not JSON: HAProxy's own error page, say
            }
            const node = res.headers['x-keygate-node'];
            resolve({ status: res.statusCode ?? 0, body, node: typeof node === 'string' ? node : undefined, at: performance.now(), id });
          });
        },
      );
      request.on('error', (error) => resolve(failed(id, error)));
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function failed(id: string, error: NodeJS.ErrnoException): Answer {
  return { status: 0, body: null, node: undefined, error: error.code ?? error.message, at: performance.now(), id };
}

/** A 200 whose body has data and no error: the only answer counted as a success. */
export function succeeded(answer: Answer): boolean {
  return answer.status === 200 && !!answer.body?.data && !answer.body.errors?.length;
}

/** The answer in a line, for a failure's report. */
export function describe(answer: Answer): string {
  if (answer.error) return `network error ${answer.error}`;
  const error = answer.body?.errors?.[0];
  return `HTTP ${answer.status}${answer.node ? ` from ${answer.node}` : ''}${error ? `: ${String(error.extensions?.code ?? '')} ${error.message}` : ''}`;
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
