import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Drain } from './drain';

/**
 * `/healthz`: the process is alive; says nothing else (no versions, no dependencies).
 * `/readyz`: the database answers and the instance is not draining (drain.ts), so a load balancer
 * stops routing here while the database does not answer or once the instance is shutting down.
 */
export function registerHealthRoutes(server: FastifyInstance, dataSource: DataSource, drain: Drain): void {
  server.get('/healthz', async () => ({ status: 'ok' }));

  // Anyone may ask, on the public port: concurrent checks share one `SELECT 1`, so a flood of
  // them takes one pool connection, not the pool (the attacker's pass of issue 20).
  let checking: Promise<boolean> | undefined;
  const databaseAnswers = () =>
    (checking ??= withTimeout(dataSource.query('SELECT 1'), 2_000)
      .then(
        () => true,
        () => false,
      )
      .finally(() => (checking = undefined)));

  server.get('/readyz', async (_request, reply) => {
    if (drain.active) return reply.code(503).send({ status: 'draining' });
    if (await databaseAnswers()) return { status: 'ready' };
    return reply.code(503).send({ status: 'unavailable' });
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
