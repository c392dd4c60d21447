import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';

/**
 * `/healthz`: the process is alive; says nothing else (no versions, no dependencies).
 * `/readyz`: the database answers, so a load balancer can stop routing here while it does not.
 */
export function registerHealthRoutes(server: FastifyInstance, dataSource: DataSource): void {
  server.get('/healthz', async () => ({ status: 'ok' }));

  server.get('/readyz', async (_request, reply) => {
    try {
      await withTimeout(dataSource.query('SELECT 1'), 2_000);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
